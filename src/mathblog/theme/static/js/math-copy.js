// Copying a selection that holds math puts each formula's TeX on the clipboard: `$…$` inline,
// `$$…$$` display, the text around it as text. The TeX is the <annotation> the build put in each
// <math>; a formula split for line breaks (span.math-split) is copied once, whole (with the
// punctuation the theme keeps inside it, as text), and a selection that starts or ends inside a
// formula takes all of it. The HTML copy keeps the MathML.
// Included only on pages with math; the math itself is drawn without any script.
(function () {
  "use strict";

  var TEX = 'annotation[encoding="application/x-tex"]';

  // The whole formula `node` is in (a split formula's wrapper, else its <math>), or null.
  function formulaAround(node) {
    var element = node.nodeType === 1 ? node : node.parentElement;
    var math = element && element.closest("math");
    if (!math) return null;
    return (math.parentElement && math.parentElement.closest(".math-split")) || math;
  }

  function texOf(formula) {
    var annotation = formula.querySelector(TEX);
    if (!annotation) return null;
    var math = formula.matches("math") ? formula : formula.querySelector("math");
    var fence = math.getAttribute("display") === "block" ? "$$" : "$";
    return fence + annotation.textContent + fence;
  }

  // Replace each formula in `root` by its TeX; false if there was none.
  function formulasToTex(root) {
    var found = false;
    var formulas = root.querySelectorAll(".math-split, math");
    for (var i = 0; i < formulas.length; i++) {
      var formula = formulas[i];
      if (!root.contains(formula)) continue; // inside a split formula replaced already
      var tex = texOf(formula);
      if (tex === null) continue;
      if (formula.matches(".math-split")) {
        // its first piece becomes the TeX, the other pieces go; text beside them stays
        var pieces = formula.querySelectorAll("math");
        pieces[0].replaceWith(document.createTextNode(tex));
        for (var j = 1; j < pieces.length; j++) pieces[j].remove();
        formula.replaceWith.apply(formula, Array.prototype.slice.call(formula.childNodes));
      } else {
        formula.replaceWith(document.createTextNode(tex));
      }
      found = true;
    }
    return found;
  }

  // The text of `fragment` as the browser would copy it: laid out (off screen) for innerText,
  // so paragraphs and display formulas stay on lines of their own.
  function plainText(fragment) {
    var box = document.createElement("div");
    box.style.cssText = "position:fixed;left:-10000px;top:0;width:40em";
    box.appendChild(fragment);
    document.body.appendChild(box);
    var text = box.innerText;
    box.remove();
    return text;
  }

  document.addEventListener("copy", function (event) {
    var selection = document.getSelection();
    if (!event.clipboardData || !selection || selection.rangeCount !== 1) return;
    if (selection.isCollapsed) return;
    var range = selection.getRangeAt(0).cloneRange();
    var first = formulaAround(range.startContainer);
    var last = formulaAround(range.endContainer);
    if (first) range.setStartBefore(first);
    if (last) range.setEndAfter(last);
    var holder = document.createElement("div");
    holder.appendChild(range.cloneContents());
    var html = holder.innerHTML;
    if (!formulasToTex(holder)) return; // no math: the browser copies as usual
    var fragment = document.createDocumentFragment();
    while (holder.firstChild) fragment.appendChild(holder.firstChild);
    event.clipboardData.setData("text/plain", plainText(fragment));
    event.clipboardData.setData("text/html", html);
    event.preventDefault();
  });
})();
