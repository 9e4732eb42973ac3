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
      window.Plotly.react(el, figure.data, figure.layout, { responsive: true, displaylogo: false });
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

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.detail.elt); });

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
  window.addEventListener("online", retryUnsaved);
  window.setInterval(retryUnsaved, 15000);
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("[data-autosave][data-unsaved]")) { event.preventDefault(); event.returnValue = ""; }
  });
})();
