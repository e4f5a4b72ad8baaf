/* The web form builder (templates/marketing/forms/edit.html) and the form page's copy
 * buttons (detail.html). Rows of the fields and rules formsets are added from their
 * <template>, removed (their DELETE box ticked, the row hidden) and moved; after each
 * change every visible row's hidden ORDER input gets its place, which the server reads.
 * A rule row shows only the inputs its kind uses. */
(function () {
  "use strict";

  function visibleRows(list) {
    return Array.from(list.querySelectorAll(":scope > [data-row]")).filter(function (row) {
      return !row.hidden;
    });
  }

  function renumber(list) {
    visibleRows(list).forEach(function (row, index) {
      var order = row.querySelector('input[name$="-ORDER"]');
      if (order) order.value = String(index + 1);
    });
  }

  function showRuleInputs(row) {
    var kind = row.querySelector('select[name$="-kind"]');
    if (!kind) return;
    row.querySelectorAll("[data-for]").forEach(function (part) {
      part.hidden = part.dataset.for.split(" ").indexOf(kind.value) === -1;
    });
  }

  function addRow(prefix) {
    var list = document.querySelector('[data-formset="' + prefix + '"]');
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    if (!list || !total || !template) return;
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    list.appendChild(row);
    total.value = String(index + 1);
    showRuleInputs(row);
    renumber(list);
    var first = row.querySelector("select, input:not([type=hidden])");
    if (first) first.focus();
  }

  function moveRow(row, direction) {
    var list = row.parentElement;
    var rows = visibleRows(list);
    var at = rows.indexOf(row);
    var other = rows[at + (direction === "up" ? -1 : 1)];
    if (!other) return;
    if (direction === "up") list.insertBefore(row, other);
    else list.insertBefore(other, row);
    renumber(list);
    row.querySelector('[data-move="' + direction + '"]').focus();
  }

  function removeRow(row) {
    var list = row.parentElement;
    var remove = row.querySelector('input[name$="-DELETE"]');
    if (remove) {
      remove.checked = true;
      row.hidden = true;
    } else {
      row.remove();
    }
    renumber(list);
  }

  function defaultLabel(select) {
    var row = select.closest("[data-row]");
    var label = row && row.querySelector('input[name$="-label"]');
    var option = select.options[select.selectedIndex];
    if (!label || !option) return;
    if (!label.value || label.value === label.dataset.suggested) {
      label.value = option.text;
      label.dataset.suggested = option.text;
    }
  }

  function copy(button) {
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    source.select();
    var done = function () {
      var text = button.querySelector("span");
      if (!text) return;
      var was = text.textContent;
      text.textContent = "Copied";
      setTimeout(function () { text.textContent = was; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done, function () {});
    } else {
      document.execCommand("copy");
      done();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.add) addRow(button.dataset.add);
    else if (button.dataset.move) moveRow(button.closest("[data-row]"), button.dataset.move);
    else if (button.hasAttribute("data-remove")) removeRow(button.closest("[data-row]"));
    else if (button.dataset.copy) copy(button);
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches('[data-rule] select[name$="-kind"]')) showRuleInputs(target.closest("[data-rule]"));
    if (target.matches('select[name$="-maps_to"]')) defaultLabel(target);
  });

  function start() {
    document.querySelectorAll("[data-rule]").forEach(showRuleInputs);
    document.querySelectorAll("[data-formset]").forEach(function (list) {
      list.querySelectorAll('input[name$="-DELETE"]:checked').forEach(function (box) {
        box.closest("[data-row]").hidden = true;
      });
      renumber(list);
    });
    document.querySelectorAll('select[name$="-maps_to"]').forEach(function (select) {
      var label = select.closest("[data-row]").querySelector('input[name$="-label"]');
      var option = select.options[select.selectedIndex];
      if (label && option && label.value === option.text) label.dataset.suggested = option.text;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
