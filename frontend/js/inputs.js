// How what a user gives reaches the page: keys on the pad (Ctrl+Z undoes, Escape clears), files
// chosen, photographed or dropped, and the model choice's options.
const $ = (selector) => document.querySelector(selector);

/** Ctrl+Z (or Cmd+Z) undoes the last stroke, Escape clears the pad, unless a field is being typed in. */
export function wireKeys(pad) {
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !typing) {
      event.preventDefault();
      pad.undo();
    } else if (event.key === "Escape" && !typing) {
      pad.clear();
    }
  });
}

/** Every way a file arrives (the upload and camera inputs, a drop on the page): `read(file)`. */
export function wireFiles(read) {
  for (const input of [$("#upload"), $("#camera")]) {
    input.addEventListener("change", (event) => {
      read(event.target.files[0]);
      event.target.value = "";
    });
  }
  const drop = $("#drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    read(event.dataTransfer.files[0]);
  });
}

const KINDS = { digits: "Digits", characters: "Letters & digits" };

/** The "Read as" choice: the models grouped by what they read, then "Numbers & words" (`text`). */
export function offerModels(models, chosen, { text, textValue }) {
  const select = $("#model-choice");
  const group = document.createElement("optgroup");
  group.label = "Numbers & words";
  group.append(new Option("Numbers & words (read a whole line)", textValue, false, text));
  select.replaceChildren(
    ...Object.entries(KINDS)
      .map(([kind, title]) => {
        const options = document.createElement("optgroup");
        options.label = title;
        for (const m of models.filter((m) => (m.reads ?? "digits") === kind && !m.reads_lines)) {
          const facts = [m.default ? "default" : "", m.networks > 1 ? `${m.networks} networks` : ""].filter(Boolean);
          const label = `${title}: ${m.name}${facts.length ? ` (${facts.join(", ")})` : ""}`;
          options.append(new Option(label, m.name, false, !text && m.name === chosen));
        }
        return options;
      })
      .filter((options) => options.children.length),
    group,
  );
}
