// The progress page of the import wizard (templates/imports/progress.html): polls the job's
// progress URL (GET, no token needed) twice a second and updates the bar; once the job has
// ended it goes to the page the server names. Without JavaScript the page refreshes itself.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("wizard-progress");
  const texts = document.getElementById("progress-texts");
  if (!box || !texts) return;
  const bar = document.getElementById("progress-bar");
  const numbers = document.getElementById("progress-numbers");
  const percent = document.getElementById("progress-percent");
  const speed = document.getElementById("progress-speed");
  const left = document.getElementById("progress-left");
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  const template = texts.dataset.state === "validating" ? texts.dataset.checked : texts.dataset.stored;

  const poll = async () => {
    let data;
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch {
      window.setTimeout(poll, 3000);
      return;
    }
    if (!data.running && data.next) {
      window.location.assign(data.next);
      return;
    }
    bar.max = data.total || 1;
    bar.value = data.done;
    bar.textContent = `${data.percent}%`;
    numbers.textContent = fill(template, { done: data.done, total: data.total });
    percent.textContent = data.percent;
    speed.textContent = data.rows_per_second ? ", " + fill(texts.dataset.speed, { speed: Math.round(data.rows_per_second) }) : "";
    left.textContent = data.seconds_left !== null ? ", " + fill(texts.dataset.left, { left: data.seconds_left }) : "";
    window.setTimeout(poll, 500);
  };
  window.setTimeout(poll, 500);
});
