// The API client: the one place that knows the API's URLs and error format.

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

/** Where the API is: ?api= if given, else config.js's apiBase ("" = this page's own origin, as
 * behind make run's and compose's nginx, which serve the app and /api/ together). */
export function apiBase() {
  const fromQuery = new URLSearchParams(window.location.search).get("api");
  const configured = window.DIGITS_CONFIG?.apiBase;
  const base = fromQuery ?? configured ?? "";
  return base.replace(/\/+$/, "");
}

export const docsUrl = () => `${apiBase()}/api/docs/`;

async function request(path, { method = "GET", body, signal, json, headers: extra = {} } = {}) {
  const headers = { Accept: "application/json", ...extra };
  let payload = body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(`${apiBase()}${path}`, { method, headers, body: payload, signal, credentials: "omit" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    const where = apiBase() || window.location.origin;
    throw new ApiError(0, "unreachable", `The API at ${where} is unreachable. Is the server running?`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    /* not JSON: handled below */
  }
  if (!response.ok) {
    const detail = data?.detail ?? `The API answered ${response.status}.`;
    throw new ApiError(response.status, data?.code ?? "http_error", detail);
  }
  return data;
}

const query = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
};

export const predictImage = (image, { model, topK = 3, signal } = {}) =>
  request("/api/predict-digit/", { method: "POST", json: { image, model, top_k: topK }, signal });

export function predictFile(file, { model, topK = 3, signal } = {}) {
  const form = new FormData();
  form.append("image", file);
  if (model) form.append("model", model);
  form.append("top_k", String(topK));
  return request("/api/predict-digit/", { method: "POST", body: form, signal });
}

/** Writing read whole, every line: `alphabet` "digits" (numbers) or "characters" (words);
 * `allowed` and `words` constrain what each line may be. */
export const predictText = (image, { model, alphabet = "digits", topK = 3, allowed, words, signal } = {}) =>
  request("/api/predict-text/", {
    method: "POST",
    json: { image, model, alphabet, top_k: topK, ...(allowed ? { allowed } : {}), ...(words ? { words } : {}) },
    signal,
  });

export function predictTextFile(file, { model, alphabet = "digits", topK = 3, allowed, words, signal } = {}) {
  const form = new FormData();
  form.append("image", file);
  if (model) form.append("model", model);
  form.append("alphabet", alphabet);
  form.append("top_k", String(topK));
  if (allowed) form.append("allowed", allowed);
  for (const word of words ?? []) form.append("words", word);
  return request("/api/predict-text/", { method: "POST", body: form, signal });
}

export const displayImages = ({ count = 12, dataset = "mnist", label, split = "test", seed } = {}) =>
  request(`/api/display-images/${query({ count, dataset, label, split, seed })}`);

export const modelInfo = (model) => request(`/api/model-info/${query({ model })}`);

export const health = () => request("/api/health/");

// An Idempotency-Key per correction: if the connection drops and the browser's retry reaches
// the server twice, the correction is stored once.
const idempotencyKey = () => crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

export const sendFeedback = ({ image, predicted, label, model, modelVersion }) =>
  request("/api/feedback/", {
    method: "POST",
    json: { image, predicted_label: predicted, true_label: label, model, model_version: modelVersion },
    headers: { "Idempotency-Key": idempotencyKey() },
  });

/** A reading's correction: the text it really holds. */
export const sendTextFeedback = ({ image, predicted, text, model, modelVersion }) =>
  request("/api/feedback/", {
    method: "POST",
    json: { image, predicted_text: predicted, true_text: text, model, model_version: modelVersion },
    headers: { "Idempotency-Key": idempotencyKey() },
  });
