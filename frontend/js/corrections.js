// Corrections: "Wrong? It was: …", offering the chosen model's labels, and "It is not a digit"
// for the digit models.
import * as api from "./api.js";

const $ = (selector) => document.querySelector(selector);
export const NOT_A_DIGIT = "not_a_digit"; // the correction "this is not a digit", as the API names it

/** Offer one button per label of the model; `current()` gives the shown answer and input. */
export function offerCorrections(labels, { reads, current }) {
  const group = $("#feedback .label-buttons");
  group.classList.toggle("many", labels.length > 10);
  group.replaceChildren(
    ...labels.map((label) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.setAttribute("aria-label", `It was ${/^[0-9]$/.test(label) ? "a" : "the character"} ${label}`);
      button.addEventListener("click", () => sendCorrection(label, current()));
      return button;
    }),
  );
  $("#not-a-digit").hidden = reads !== "digits";
  $("#not-a-digit").onclick = () => sendCorrection(NOT_A_DIGIT, current());
}

async function sendCorrection(label, { result, input }) {
  if (!result || !input) return;
  const status = $("#feedback-status");
  status.textContent = "Sending…";
  try {
    await api.sendFeedback({
      image: typeof input === "function" ? input() : input,
      predicted: result.is_digit || result.labels.length > 10 ? result.prediction : NOT_A_DIGIT,
      label,
      model: result.model.name,
      modelVersion: result.model.version,
    });
    const saved = label === NOT_A_DIGIT ? "as not a digit" : `as ${label}`;
    status.textContent = `Thank you! Saved ${saved}; it will help train the next model.`;
  } catch (error) {
    status.textContent = `Could not save the correction: ${error.message}`;
  }
}
