// ReDoc's page, started from a file of our own rather than an inline script, so the page's
// Content-Security-Policy can forbid inline scripts. Redoc draws its vendor's logo from
// cdn.redoc.ly in the menu's footer: ours is shown instead (nothing is fetched from outside).
(function () {
  const container = document.getElementById("redoc-container");
  const local = container.dataset.logo;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (name === "src" && String(value).startsWith("https://cdn.redoc.ly/")) value = local;
    return setAttribute.call(this, name, value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    get() { return src.get.call(this); },
    set(value) { src.set.call(this, String(value).startsWith("https://cdn.redoc.ly/") ? local : value); },
  });
  window.addEventListener("DOMContentLoaded", () => {
    Redoc.init(container.dataset.specUrl, JSON.parse(container.dataset.settings || "{}"), container);
  });
})();
