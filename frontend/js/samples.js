// Samples: real MNIST digits, or EMNIST characters in letters mode; a click predicts one
// against its true label.
import * as api from "./api.js";
import { showStatus } from "./answer.js";

const $ = (selector) => document.querySelector(selector);

/** Fill the label filter with `labels` (keeping the choice when it still exists). */
export function offerSampleLabels(labels, dataset) {
  const select = $("#sample-label");
  const kept = select.value;
  select.replaceChildren(new Option("all", ""), ...labels.map((label) => new Option(label, label)));
  select.value = labels.includes(kept) ? kept : "";
  $("#samples-title").textContent = dataset === "emnist" ? "EMNIST samples: handwritten characters" : "MNIST samples";
}

/** Load 12 samples of `dataset`; `onPick(button, sample)` runs when one is clicked. */
export async function loadSamples(dataset, onPick) {
  const gallery = $("#gallery");
  gallery.setAttribute("aria-busy", "true");
  try {
    const label = $("#sample-label").value;
    const { images } = await api.displayImages({ count: 12, dataset, label: label === "" ? undefined : label });
    gallery.replaceChildren(
      ...images.map((sample) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sample";
        button.dataset.label = sample.label;
        button.innerHTML = `<img alt="" width="56" height="56"><span class="sample-mark" aria-hidden="true"></span>`;
        button.querySelector("img").src = sample.image;
        button.setAttribute("aria-label", `Sample ${sample.id}, ${sample.label}: predict it`);
        button.addEventListener("click", () => onPick(button, sample));
        item.append(button);
        return item;
      }),
    );
    showStatus(null);
  } catch (error) {
    showStatus(error.code === "unreachable" ? error.message : `Samples unavailable: ${error.message}`);
  } finally {
    gallery.removeAttribute("aria-busy");
  }
}

/** Mark a sample right or wrong once its answer is in. */
export function markSample(button, sample, result) {
  const right = result.prediction === sample.label;
  button.classList.toggle("right", right);
  button.classList.toggle("wrong", !right);
  button.querySelector(".sample-mark").textContent = right ? "✓" : `✗ ${result.prediction}`;
}
