/* Raves widget: renders a badge in a Shadow DOM, with textContent only. No request leaves. */
(function () {
  "use strict";
  try {
    var data = window.__ravesWidget;
    var script = document.currentScript;
    if (!data || !script) return;
    var host = document.createElement("div");
    script.parentNode.insertBefore(host, script.nextSibling);
    var root = host.attachShadow ? host.attachShadow({ mode: "closed" }) : host;
    var style = document.createElement("style");
    style.textContent =
      ":host{all:initial;display:block}" +
      "a{display:inline-block;font:600 15px/1.4 system-ui,sans-serif;color:#1d4ed8;" +
      "border:1px solid #cbd5e1;border-radius:8px;padding:8px 12px;text-decoration:none;background:#fff}" +
      "a:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = "Read what customers say about " + data.name;
    root.appendChild(style);
    root.appendChild(link);
  } catch (error) {
    /* The host page must never break because of the widget. */
  }
})();
