// The import wizard, a little more direct with JavaScript; every step works without it.
// - choose type: only the creation profiles of the chosen type are offered;
// - sheet: choosing another sheet shows its first rows;
// - mapping: the first values of a chosen column, how it writes dates and numbers (with the
//   evidence), and the columns not imported, follow the choice at once, a badge of how sure
//   a suggestion is goes with it; a fixed relation is searched by number or name.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  profilesFollowType();
  previewFollowsSheet();
  mappingFollowsChoice();
  relationSearch();
});

function profilesFollowType() {
  const profile = document.querySelector("select[data-profiles]");
  if (!profile) return;
  const radios = document.querySelectorAll("input[name=item_type]");
  const update = () => {
    const chosen = document.querySelector("input[name=item_type]:checked");
    for (const group of profile.querySelectorAll("optgroup")) {
      const matches = chosen !== null && group.label === chosen.value;
      group.hidden = !matches;
      group.disabled = !matches;
    }
    const selected = profile.selectedOptions[0];
    if (selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) {
      profile.value = "";
    }
  };
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
}

function previewFollowsSheet() {
  const form = document.getElementById("sheet-form");
  if (!form) return;
  const sheet = form.querySelector("select[name=sheet]");
  const button = form.querySelector("[data-preview-button]");
  if (sheet && button) sheet.addEventListener("change", () => button.click());
}

function mappingFollowsChoice() {
  const form = document.getElementById("mapping-form");
  const data = document.getElementById("column-samples");
  if (!form || !data) return;
  const samples = JSON.parse(data.textContent);
  const formatData = document.getElementById("column-formats");
  const formats = formatData ? JSON.parse(formatData.textContent) : {};
  const notImported = document.getElementById("not-imported-text").dataset.text;
  const selects = form.querySelectorAll("select[name^=column_]");
  const update = () => {
    const fedBy = {};
    for (const select of selects) {
      const cell = form.querySelector(`[data-sample-for="${select.id}"]`);
      if (cell) {
        cell.replaceChildren();
        for (const value of samples[select.value] || []) {
          const span = document.createElement("span");
          span.textContent = value.length > 40 ? value.slice(0, 39) + "\u2026" : value;
          cell.append(span);
        }
        if (!cell.children.length) cell.textContent = "\u2014";
      }
      showFormat(form, select, formats);
      if (select.value) {
        const label = form.querySelector(`label[for="${select.id}"]`);
        fedBy[select.value] = label ? label.textContent.replace(/:$/, "") : select.name;
      }
    }
    for (const row of form.querySelectorAll("tr[data-letter]")) {
      const field = fedBy[row.dataset.letter];
      const cell = row.querySelector(".wizard-fed-by");
      row.classList.toggle("not-imported", !field);
      const leaveOut = row.querySelector(".wizard-leave-out label");
      if (leaveOut) leaveOut.hidden = Boolean(field);
      cell.replaceChildren();
      if (field) {
        cell.textContent = field;
      } else {
        const strong = document.createElement("strong");
        strong.textContent = notImported;
        cell.append(strong);
      }
    }
  };
  selects.forEach((select) => select.addEventListener("change", update));
  // How sure a suggested column is says nothing about another one chosen instead.
  for (const select of selects) {
    const badge = select.parentElement.querySelector("[data-sureness]");
    if (!badge) continue;
    const suggested = select.value;
    select.addEventListener("change", () => { badge.hidden = select.value !== suggested; });
  }
  for (const choice of form.querySelectorAll(".wizard-format select")) {
    choice.addEventListener("change", () => {
      const block = choice.closest(".wizard-format");
      const column = form.querySelector(`#${block.dataset.formatFor}`);
      if (column) showFormat(form, column, formats);
    });
  }
}

// The evidence of how the chosen column writes its dates or numbers; a column whose values
// do not decide is marked until a choice is made.
function showFormat(form, select, formats) {
  const block = form.querySelector(`[data-format-for="${select.id}"]`);
  if (!block) return;
  block.hidden = !select.value;
  const found = (formats[select.value] || {})[block.dataset.formatKey];
  const list = block.querySelector(".wizard-evidence");
  list.replaceChildren(
    ...(found ? found.lines : []).map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }),
  );
  const choice = block.querySelector("select");
  block.classList.toggle("undecided", Boolean(found && found.ambiguous && choice && !choice.value));
}

function relationSearch() {
  const source = document.getElementById("relation-search-url");
  if (!source) return;
  for (const input of document.querySelectorAll("input[data-relation-search]")) {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 2 || !list) return;
      timer = setTimeout(async () => {
        const response = await fetch(`${source.dataset.url}?q=${encodeURIComponent(query)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const { results } = await response.json();
        list.replaceChildren(
          ...results.map((relation) => {
            const option = document.createElement("option");
            option.value = relation.number;
            option.label = `${relation.number} ${relation.name}`;
            return option;
          }),
        );
      }, 200);
    });
  }
}
