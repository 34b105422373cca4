// An emoji callout (`> 💡 …`) shows its emoji as the callout's icon. Where no installed font has
// that emoji (no colour-emoji font, as on many Linux desktops), the icon would be an empty box:
// drawn on a canvas, it then looks exactly like a character no font has, and is taken away.
// Included only on pages with such a callout.
(function () {
  "use strict";

  var canvas = document.createElement("canvas");
  canvas.width = canvas.height = 40;
  var context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) return;

  function drawn(text, font) {
    context.clearRect(0, 0, 40, 40);
    context.font = font;
    context.textBaseline = "top";
    context.fillStyle = "#000";
    context.fillText(text, 4, 4);
    return context.getImageData(0, 0, 40, 40).data.join(",");
  }

  function checkIcons() {
    document.querySelectorAll(".callout-icon").forEach(function (icon) {
      var font = "28px " + getComputedStyle(icon).fontFamily;
      // U+10FFFD is a private-use character no font draws: its box is the missing glyph.
      if (drawn(icon.textContent.trim(), font) === drawn("\u{10FFFD}", font)) {
        icon.closest(".callout-emoji").classList.add("callout-no-icon");
        icon.remove();
      }
    });
  }

  // `blog serve` puts a rebuilt page's body in place of this one's: check its icons again.
  document.addEventListener("blog:swapped", checkIcons);
  checkIcons();
})();
