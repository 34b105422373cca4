"""What a build keeps for the next one: fingerprints of what shaped a result, the post cache, the
site lock.
"""
