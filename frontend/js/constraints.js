// "What may be written" (Numbers & words): the characters a field may hold, or the words it may
// be, sent with each reading as predict-text's `allowed` and `words`; the reader answers the
// most probable reading that obeys them, and keeps the free reading among its alternatives.

const $ = (selector) => document.querySelector(selector);
const MAX_WORDS = 2000;

/** The constraint as predict-text takes it: {allowed, words}, each only when given. */
export function constraint() {
  const allowed = $("#allowed").value.replace(/\s+/g, "");
  const words = $("#words")
    .value.split(/[\n,;]+/)
    .map((w) => w.trim())
    .filter(Boolean)
    .slice(0, MAX_WORDS);
  return { ...(allowed ? { allowed } : {}), ...(words.length ? { words } : {}) };
}

/** Read again whenever the constraint changes (a pause after typing). */
export function wireConstraints(readAgain) {
  let timer = null;
  for (const input of [$("#allowed"), $("#words")]) {
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(readAgain, 300);
    });
  }
  $("#clear-constraint").addEventListener("click", () => {
    $("#allowed").value = $("#words").value = "";
    readAgain();
  });
}
