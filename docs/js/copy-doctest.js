// The copy button of a code block that holds `>>>` examples copies only the
// code: the `>>> ` and `... ` prompts are taken off and the output lines are
// left out, so that the copied text runs as it is in Jupyter or in python.
// Blocks without `>>>` are copied whole, as material copies them.
//
// material's copy button (theme feature content.code.copy) uses clipboard.js,
// which copies a button's data-clipboard-text attribute when it has one, and
// the text of its data-clipboard-target otherwise. We set that attribute when
// the button is pressed (capture phase: before clipboard.js reads it), so it
// works on every page, instant navigation included.

// The source lines of doctest examples, with the rule doctest uses: a line
// starting with ">>>" starts an example, the lines starting with "..." right
// after it continue it, and every other line is output.
function doctestSource(text) {
  const lines = text.replace(/\n$/, "").split("\n");
  if (!lines.some((line) => /^\s*>>>/.test(line))) {
    return null;
  }
  const source = [];
  let inExample = false;
  for (const line of lines) {
    const ps1 = line.match(/^\s*>>>( |$)(.*)$/);
    const ps2 = line.match(/^\s*\.\.\.( |$)(.*)$/);
    if (ps1) {
      source.push(ps1[2]);
      inExample = true;
    } else if (inExample && ps2) {
      source.push(ps2[2]);
    } else {
      inExample = false;
    }
  }
  return source.join("\n");
}

if (typeof document !== "undefined") {
  document.addEventListener(
    "click",
    function (event) {
      const button =
        event.target instanceof Element &&
        event.target.closest("[data-clipboard-target]");
      if (!button) {
        return;
      }
      const code = document.querySelector(button.dataset.clipboardTarget);
      const source = code ? doctestSource(code.textContent) : null;
      if (source === null) {
        button.removeAttribute("data-clipboard-text");
      } else {
        button.setAttribute("data-clipboard-text", source);
      }
    },
    true,
  );
}

// For a test of doctestSource under node.
if (typeof module !== "undefined") {
  module.exports = { doctestSource };
}
