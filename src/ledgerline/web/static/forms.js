// Sign-up: preselect the browser's own time zone (adding it to the list when missing).
(() => {
  "use strict";
  const select = document.getElementById("timezone");
  if (!select || select.dataset.touched) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  if (!zone || select.value === zone) return;
  const existing = Array.from(select.options).find((o) => o.value === zone);
  if (!existing) {
    const option = document.createElement("option");
    option.value = zone;
    option.textContent = zone;
    select.prepend(option);
  }
  select.value = zone;
})();
