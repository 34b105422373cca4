"""All posts → the site: loading them (cached or parsed in parallel), the plan of pages, structured
data.
"""
