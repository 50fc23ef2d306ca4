/* Raves widget renderer: called with this business's data by /b/<slug>/widget.js.
   Renders inside a Shadow DOM with textContent only; makes no request; never throws.
   The shadow root is open: a closed one protects nothing from the host page's scripts (they run
   first and could wrap attachShadow), and would hide the widget from testing and assistive tools.
   The host page's styles cannot reach inside either way. */
(function (data) {
  "use strict";
  try {
    var script = document.currentScript;
    if (!data || !script || !script.parentNode) return;
    var host = document.createElement("div");
    host.className = "raves-widget";
    script.parentNode.insertBefore(host, script.nextSibling);
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var el = function (tag, text, cls) {
      var node = document.createElement(tag);
      if (text !== undefined) node.textContent = text;
      if (cls) node.className = cls;
      return node;
    };
    var stars = function (value, label) {
      var full = Math.round(value || 0);
      var node = el("span", "\u2605\u2605\u2605\u2605\u2605".slice(0, full) + "\u2606\u2606\u2606\u2606\u2606".slice(full), "stars");
      node.setAttribute("role", "img");
      node.setAttribute("aria-label", label);
      return node;
    };
    /* The average in half stars, the filled ones laid over the empty ones (4.6: four and a half). */
    var meter = function (value) {
      var halves = Math.max(0, Math.min(10, Math.round((Number(value) || 0) * 2)));
      var node = el("span", undefined, "meter");
      node.setAttribute("aria-hidden", "true");
      node.appendChild(el("span", "\u2606\u2606\u2606\u2606\u2606"));
      var on = el("span", "\u2605\u2605\u2605\u2605\u2605", "on");
      on.style.width = halves * 10 + "%";
      node.appendChild(on);
      return node;
    };
    /* The business's colour for links, checked again here: only #rrggbb may reach the style sheet. */
    var accent = /^#[0-9a-f]{6}$/.test(data.accent) ? data.accent : "#1d4ed8";
    var style = el("style",
      ":host{all:initial;display:block}" +
      ".box{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#0f172a;background:#fff;" +
      "border:1px solid #cbd5e1;border-radius:10px;padding:12px 14px;max-width:420px;text-align:left}" +
      ".badge{display:flex;align-items:baseline;gap:8px;flex-wrap:wrap}" +
      ".avg{font-size:22px;font-weight:700}.stars{color:#b45309;letter-spacing:1px}" +
      ".meter{position:relative;display:inline-block;color:#b45309;white-space:nowrap;line-height:1}" +
      ".meter .on{position:absolute;top:0;bottom:0;left:0;overflow:hidden}" +
      ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
      "ul{list-style:none;margin:10px 0 0;padding:0}li{border-top:1px solid #e2e8f0;padding:8px 0;overflow-wrap:anywhere}" +
      ".who{color:#475569;font-size:13px}a{color:" + accent + ";font-weight:600}" +
      "a:focus-visible{outline:3px solid " + accent + ";outline-offset:2px}");
    /* The words come with the data (served together, so always there), in the page's language. */
    var t = data.texts;
    var box = el("section", undefined, "box");
    box.setAttribute("lang", t.lang);
    box.setAttribute("aria-label", t.label);
    var badge = el("div", undefined, "badge");
    if (data.count) {
      var avg = el("span", t.average, "avg");
      avg.appendChild(el("span", t.outOf, "sr"));
      badge.appendChild(avg);
      badge.appendChild(meter(data.average));
      badge.appendChild(el("span", t.count));
    } else {
      badge.appendChild(el("span", t.none));
    }
    box.appendChild(badge);
    if (data.reviews && data.reviews.length) {
      var list = el("ul");
      for (var i = 0; i < data.reviews.length; i++) {
        var review = data.reviews[i];
        var item = el("li");
        item.appendChild(stars(review.rating, t.stars[review.rating]));
        item.appendChild(el("div", review.text));
        item.appendChild(el("div", review.name, "who"));
        list.appendChild(item);
      }
      box.appendChild(list);
    }
    var link = el("a", t.readAll);
    link.appendChild(el("span", t.newTab, "sr"));
    link.href = data.url;
    link.rel = "noopener";
    link.target = "_blank";
    box.appendChild(link);
    root.appendChild(style);
    root.appendChild(box);
  } catch (error) {
    /* The host page must never break because of the widget. */
  }
})
