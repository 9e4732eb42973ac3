/* Fourfold's small layer of behaviour; no inline scripts anywhere.
   - Charts: <div data-plotly="id"> is drawn from <script type="application/json" id="id">.
   - Autosave forms ([data-autosave]) keep what was typed when the connection drops, say so,
     and try again when it is back. */
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-plotly]").forEach(function (el) {
      var source = document.getElementById(el.dataset.plotly);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      // Numbers, months and days as the page's language writes them: <html lang> names the
      // Plotly locale (static/vendor/plotly-locales-*), data-separators its decimal and
      // thousands separators ("," and "." in Danish, Slovenian and Dutch).
      var html = document.documentElement;
      figure.layout.separators = html.dataset.separators || ".,";
      // No modebar: its buttons would be focusable inside the chart's role="img", and the
      // chart's numbers are in the table beside it (zoom by dragging, reset by double-click).
      window.Plotly.react(el, figure.data, figure.layout, {
        responsive: true, displaylogo: false, displayModeBar: false, locale: html.lang || "en"
      });
    });
  }

  // Screen readers read what lands in #ff-announce (role="status", aria-live="polite"): a
  // swapped-in status element is new to them and would not be read by itself.
  function announce(text) {
    var region = document.getElementById("ff-announce");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text.replace(/\s+/g, " ").trim(); }, 50);
  }

  // A box that scrolls sideways (a wide table on a phone) can be reached and scrolled with
  // the keyboard: it becomes a focusable region named by its table's caption or heading.
  function markScrollBoxes(root) {
    root.querySelectorAll(".table-responsive, .ff-stages, [style*='overflow-x']").forEach(function (box) {
      if (box.hasAttribute("data-ff-scrollbox") && !box.hasAttribute("data-ff-scroll-auto")) return;
      // A box with links or fields inside is scrolled by tabbing through them.
      var scrolls = box.scrollWidth > box.clientWidth + 1 &&
        !box.querySelector("a[href], button, input, select, textarea, summary, [tabindex]:not([data-ff-scroll-auto])");
      if (scrolls && !box.hasAttribute("tabindex")) {
        var caption = box.querySelector("caption, h2, h3, h4");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption ? caption.textContent.replace(/\s+/g, " ").trim() : "Scrolls sideways");
        box.setAttribute("data-ff-scrollbox", "");
        box.setAttribute("data-ff-scroll-auto", "");
      } else if (!scrolls && box.hasAttribute("data-ff-scroll-auto")) {
        ["tabindex", "role", "aria-label", "data-ff-scrollbox", "data-ff-scroll-auto"].forEach(function (a) { box.removeAttribute(a); });
      }
    });
  }

  function statusOf(form) { return form.querySelector("[data-save-status]"); }

  function markUnsaved(form, text) {
    form.dataset.unsaved = "1";
    var status = statusOf(form);
    if (status) {
      status.className = "small text-danger";
      status.setAttribute("role", "alert");
      status.textContent = text;
    }
  }

  function retryUnsaved() {
    document.querySelectorAll("[data-autosave][data-unsaved]").forEach(function (form) {
      window.htmx.trigger(form, "retry");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); markScrollBoxes(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.elt;
    drawCharts(elt);
    markScrollBoxes(document);
    // An autosave's answer ("Saved · last change …"); errors are role="alert" already.
    if (elt.matches && elt.matches("[data-save-status]") && elt.getAttribute("role") !== "alert") announce(elt.textContent);
    // A result that asks to be announced (the simulator's decisions) says so in one line.
    var said = elt.querySelector && (elt.matches("[data-announce]") ? elt : elt.querySelector("[data-announce]"));
    if (said) announce(said.dataset.announce || said.textContent);
  });
  var resizing;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { markScrollBoxes(document); }, 200);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-autosave]");
    if (form) {
      var status = statusOf(form);
      if (status && !form.dataset.unsaved) { status.className = "small text-body-secondary"; status.textContent = "Saving…"; }
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-autosave]");
    if (form && event.detail.successful) delete form.dataset.unsaved;
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-autosave]");
    if (form) markUnsaved(form, "Not saved: the connection is lost. What you typed stays here and is saved when it is back.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-autosave]");
    if (form && event.detail.xhr.status >= 500) markUnsaved(form, "Not saved: the server had a problem. Retrying…");
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
  });
  // Panels that fold on phones (the dashboard's filters) are sent open and closed here on a
  // narrow screen, once per page load: re-rendered while someone filters, they stay open.
  if (window.matchMedia("(max-width: 575.98px)").matches) {
    document.querySelectorAll("details[data-fold-on-phone]").forEach(function (panel) { panel.open = false; });
  }
  window.addEventListener("online", retryUnsaved);
  window.setInterval(retryUnsaved, 15000);
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("[data-autosave][data-unsaved]")) { event.preventDefault(); event.returnValue = ""; }
  });
})();
