// A result source's form shows only the fields of the chosen kind (upload, HTTP, SQL):
// each <fieldset data-kinds="http sql"> is shown when the kind select names one of them.
// Without this script a new source's form shows every group under its legend.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-source-form]").forEach((form) => {
    const kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    const sync = () => {
      form.querySelectorAll("fieldset[data-kinds]").forEach((group) => {
        group.hidden = !group.dataset.kinds.split(" ").includes(kind.value);
      });
    };
    kind.addEventListener("change", sync);
    sync();
  });
});
