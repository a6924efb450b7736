// The label editor of the project form: rows to fill in (labels, or item field names) instead of a JSON box,
// with a live preview of the labels as the annotator's page draws them.
// Progressive enhancement: the textarea stays the form's field. This script hides it and writes the same JSON
// into it on every change, so the form, its validation and the model keep one path with or without JavaScript.
// The checks here only say early what the server says on save (tasks/schemas.py); the server decides.
(function () {
  "use strict";

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "role") node.setAttribute("role", value);
      else if (/^aria[A-Z]/.test(key)) node.setAttribute(`aria-${key.slice(4).toLowerCase()}`, value);
      else node[key] = value;
    }
    node.append(...children);
    return node;
  }
  const normalise = (text) => String(text || "").normalize("NFC").split(/\s+/).filter(Boolean).join(" ");
  const fold = (text) => normalise(text).toLowerCase();
  const quoted = (name) => (name ? ` (“${name}”)` : "");

  // What the other editors on the page tell the preview: the item fields and the task type.
  const page = { fields: [], taskType: "", previews: [] };
  const redrawPreviews = () => page.previews.forEach((draw) => draw());

  // --- One editor -----------------------------------------------------------------------------------------------
  function setUp(box) {
    const config = JSON.parse(box.dataset.labelEditor);
    const isLabels = config.editor === "labels";
    const noun = isLabels ? "label" : "field";
    let schema;
    try { schema = box.value.trim() ? JSON.parse(box.value) : (isLabels ? {} : []); }
    catch (error) { return leaveTheBox(box, "The JSON below is not valid, so the editor cannot show it: fix it here (the message says where) and save."); }
    let rows = isLabels ? labelRows(schema, config) : fieldRows(schema);
    if (!rows) return leaveTheBox(box, `This JSON is not in the shape the editor knows; edit it here.`);
    const extra = isLabels ? Object.fromEntries(Object.entries(schema || {}).filter(([key]) => key !== "labels")) : null;

    const list = el("ol", { className: "le-rows", ariaLabel: isLabels ? "Labels" : "Item fields" });
    const add = el("button", { type: "button", className: "le-add" }, isLabels ? "+ Add a label" : "+ Add a field");
    const problems = el("div", { className: "le-problems", role: "status", ariaLive: "polite" });
    const toggle = el("button", { type: "button", className: "le-json-toggle" }, "Edit as JSON");
    const head = isLabels
      ? el("div", { className: "le-head", ariaHidden: "true" }, el("span", {}, "#"), el("span", {}, "Name"),
           el("span", {}, "Colour"), el("span", {}, "Key"), el("span", {}, "Description"), el("span"))
      : null;
    const main = el("div", { className: "le-main" }, ...(head ? [head] : []), list,
                    el("div", { className: "le-tools" }, add, toggle), problems);
    const editor = el("div", { className: `label-editor le-${config.editor}` }, main);
    box.after(editor);
    box.hidden = true;

    // The JSON the form saves: what the rows say, in their order.
    function write() {
      if (isLabels) {
        const labels = rows.map((row) => {
          const label = { name: row.name };
          if (row.description) label.description = row.description;
          label.color = row.color;
          if (row.shortcut) label.shortcut = row.shortcut;
          return label;
        });
        box.value = JSON.stringify({ ...extra, labels }, null, 2);
      } else {
        box.value = JSON.stringify(rows.map((row) => row.name));
        page.fields = rows.map((row) => normalise(row.name)).filter(Boolean);
      }
      check();
      redrawPreviews();
    }

    // The server's checks, said while typing, next to the row.
    function check() {
      const said = rows.map(() => []);
      const firstName = new Map(), firstKey = new Map();
      rows.forEach((row, i) => {
        const name = normalise(row.name);
        if (!name) { said[i].push("the name is empty"); return; }
        const other = firstName.get(fold(name));
        if (other !== undefined) said[i].push(`the name is used twice (also by ${noun} ${other + 1})`);
        else firstName.set(fold(name), i);
        if (!isLabels || !row.shortcut) return;
        if (row.shortcut in config.reserved) {
          said[i].push(`the key ${row.shortcut === " " ? "space" : `'${row.shortcut}'`} is kept by the labelling page (it ${config.reserved[row.shortcut]})`);
          return;
        }
        const taken = firstKey.get(row.shortcut);
        if (taken !== undefined) said[i].push(`the key '${row.shortcut}' is used twice (also by ${noun} ${taken + 1})`);
        else firstKey.set(row.shortcut, i);
      });
      const lines = [];
      list.querySelectorAll(".le-row").forEach((item, i) => {
        const message = item.querySelector(".le-problem");
        message.textContent = said[i].length ? said[i].join("; ") + "." : "";
        item.classList.toggle("le-invalid", said[i].length > 0);
        item.querySelector(".le-name").setAttribute("aria-invalid", said[i].some((s) => s.startsWith("the name")) ? "true" : "false");
        const key = item.querySelector(".le-key");
        if (key) key.setAttribute("aria-invalid", said[i].some((s) => s.startsWith("the key")) ? "true" : "false");
        if (said[i].length) lines.push(`${noun[0].toUpperCase() + noun.slice(1)} ${i + 1}${quoted(normalise(rows[i].name))}: ${message.textContent}`);
      });
      problems.replaceChildren(...lines.map((line) => el("p", {}, line)));
    }

    function render(focus) {
      list.replaceChildren(...rows.map((row, i) => rowNode(row, i)));
      write();
      if (focus) {
        const item = list.children[focus.row];
        const target = item && (item.querySelector(focus.selector + ":not(:disabled)") || item.querySelector(".le-name"));
        (target || add).focus();
      }
    }

    function move(i, step, selector) {
      const j = i + step;
      [rows[i], rows[j]] = [rows[j], rows[i]];
      render({ row: j, selector });
    }

    function rowNode(row, i) {
      const n = i + 1, called = () => normalise(row.name) || `${noun} ${n}`;
      const problemId = `le-${config.editor}-problem-${n}`;
      const name = el("input", { type: "text", className: "le-name", value: row.name, maxLength: 100,
                                 ariaLabel: `Name of ${noun} ${n}`, placeholder: isLabels ? "Label name" : "Field name" });
      name.setAttribute("aria-describedby", problemId);
      name.addEventListener("input", () => { row.name = name.value; write(); });
      const cells = [el("span", { className: "le-pos" }, String(n)), name];
      if (isLabels) {
        const color = el("input", { type: "color", className: "le-color", value: row.color, ariaLabel: `Colour of label ${n}` });
        color.addEventListener("input", () => { row.color = color.value.toLowerCase(); write(); });
        const key = el("input", { type: "text", className: "le-key", value: row.shortcut, maxLength: 1,
                                  ariaLabel: `Shortcut key of label ${n}`, autocomplete: "off" });
        key.setAttribute("aria-describedby", problemId);
        // The page matches keys in lower case, as the server stores them.
        key.addEventListener("input", () => { row.shortcut = key.value.toLowerCase(); key.value = row.shortcut; write(); });
        const description = el("input", { type: "text", className: "le-description", value: row.description,
                                          maxLength: 500, ariaLabel: `Description of label ${n}`,
                                          placeholder: "Shown on hover" });
        description.addEventListener("input", () => { row.description = description.value; write(); });
        cells.push(color, key, description);
      }
      const up = el("button", { type: "button", className: "le-up", disabled: i === 0, title: "Move up" }, "↑");
      const down = el("button", { type: "button", className: "le-down", disabled: i === rows.length - 1, title: "Move down" }, "↓");
      const remove = el("button", { type: "button", className: "le-remove", title: "Remove" }, "✕");
      // Names read out by a screen reader follow the name typed, so "Move Phone up" says which row moves.
      const label = () => {
        up.setAttribute("aria-label", `Move ${called()} up`);
        down.setAttribute("aria-label", `Move ${called()} down`);
        remove.setAttribute("aria-label", `Remove ${called()}`);
      };
      label(); name.addEventListener("input", label);
      up.addEventListener("click", () => move(i, -1, ".le-up"));
      down.addEventListener("click", () => move(i, 1, ".le-down"));
      remove.addEventListener("click", () => {
        rows.splice(i, 1);
        render(rows.length ? { row: Math.min(i, rows.length - 1), selector: ".le-remove" } : null);
        if (!rows.length) add.focus();
      });
      cells.push(el("span", { className: "le-buttons" }, up, down, remove));
      return el("li", { className: "le-row" }, ...cells, el("p", { className: "le-problem", id: problemId }));
    }

    add.addEventListener("click", () => {
      rows.push(isLabels ? newLabel(rows, config) : { name: "" });
      render({ row: rows.length - 1, selector: ".le-name" });
    });

    // The JSON box stays reachable: for pasting a schema from elsewhere, or a key the rows do not show.
    toggle.addEventListener("click", () => {
      if (box.hidden) {
        box.hidden = false; list.hidden = true; add.hidden = true; if (head) head.hidden = true;
        toggle.textContent = "Back to the editor";
        box.focus();
        return;
      }
      let parsed;
      try { parsed = JSON.parse(box.value || (isLabels ? "{}" : "[]")); }
      catch (error) { problems.replaceChildren(el("p", {}, `The JSON is not valid (${error.message}): fix it first, or save to be told the line and column.`)); return; }
      const fresh = isLabels ? labelRows(parsed, config) : fieldRows(parsed);
      if (!fresh) { problems.replaceChildren(el("p", {}, "This JSON is not in the shape the editor knows.")); return; }
      rows = fresh;
      if (isLabels) { Object.keys(extra).forEach((k) => delete extra[k]); Object.assign(extra, Object.fromEntries(Object.entries(parsed).filter(([k]) => k !== "labels"))); }
      box.hidden = true; list.hidden = false; add.hidden = false; if (head) head.hidden = false;
      toggle.textContent = "Edit as JSON";
      render();
    });

    if (isLabels) editor.append(preview(() => rows));
    render();
  }

  function labelRows(schema, config) {
    if (schema === null) schema = {};
    if (typeof schema !== "object" || Array.isArray(schema)) return null;
    const labels = schema.labels === undefined ? [] : schema.labels;
    if (!Array.isArray(labels)) return null;
    const rows = [];
    for (const [i, label] of labels.entries()) {
      const given = typeof label === "string" ? { name: label } : label;
      if (!given || typeof given !== "object") return null;
      rows.push({ ...given, name: String(given.name || ""), description: String(given.description || ""),
                  color: /^#[0-9a-f]{6}$/i.test(given.color || "") ? given.color.toLowerCase() : config.palette[i % config.palette.length],
                  shortcut: String(given.shortcut || "").toLowerCase() });
    }
    return rows;
  }

  function fieldRows(fields) {
    if (fields === null) return [];
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== "string")) return null;
    return fields.map((name) => ({ name }));
  }

  // A new label gets a colour and a digit no other label has, so three clicks on Add make a usable set.
  function newLabel(rows, config) {
    const colours = new Set(rows.map((r) => r.color)), keys = new Set(rows.map((r) => r.shortcut));
    const color = config.palette.find((c) => !colours.has(c)) || config.palette[rows.length % config.palette.length];
    const shortcut = [..."123456789"].find((k) => !keys.has(k)) || "";
    return { name: "", description: "", color, shortcut };
  }

  function leaveTheBox(box, why) {
    box.before(el("p", { className: "le-note" }, why));
  }

  // --- The preview: the labels as workspace.js draws them (annotations/static/annotations/workspace.js) ---------
  function preview(getRows) {
    const item = el("div", { className: "lp-item" });
    const labels = el("div", { className: "ws-labels", role: "group", ariaLabel: "Labels (preview)" });
    const help = el("p", { className: "lp-help" });
    const actions = el("div", { className: "ws-actions" },
      el("span", { className: "lp-button" }, "Submit ", el("kbd", {}, "Enter")),
      el("span", { className: "lp-button lp-secondary" }, "Skip ", el("kbd", {}, "Esc")));
    const aside = el("aside", { className: "label-preview", ariaLabel: "Preview of the annotator's page" },
      el("p", { className: "lp-title" }, "What the annotator sees"), item, labels, actions, help);
    function draw() {
      item.replaceChildren(...previewFields().map(([name, value]) =>
        el("div", { className: "lp-field" }, el("span", { className: "lp-field-name" }, name), el("span", { className: "lp-field-value" }, value))));
      // Spans, not buttons: the preview is a picture, and a button here would look like something to press.
      labels.replaceChildren(...getRows().filter((row) => normalise(row.name)).map((row) => {
        const button = el("span", { className: "label lp-label", title: row.description || "" }, el("span", {}, normalise(row.name)));
        button.style.setProperty("--label-color", row.color || "#1f77b4");
        if (row.shortcut) button.append(el("kbd", {}, row.shortcut));
        return button;
      }));
      if (!labels.children.length) labels.append(el("span", { className: "lp-empty" }, "No labels yet: add one on the left."));
      help.textContent = page.taskType === "multi_label" ? "Annotators press the keys of every label that applies, then Enter saves."
        : page.taskType === "span" ? "Annotators select words, then press a label's key to mark them; Enter saves."
        : "Annotators press a label's key (or click it): the answer is saved and the next item comes at once.";
    }
    page.previews.push(draw);
    return aside;
  }

  // The item as the page lays it out for this task type (tasks/schemas.py required_fields), with sample text.
  function previewFields() {
    const type = page.taskType;
    if (type === "span") return [["text", "The item's text, where words are marked"]];
    if (type === "image" || type === "audio") return [[type, `(the item's ${type})`]];
    const names = page.fields.length ? page.fields : ["text"];
    if (type === "pairwise") return [["Listing A", names.join(", ")], ["Listing B", names.join(", ")]];
    return names.map((name) => [name, `The item's ${name}`]);
  }

  function start() {
    const taskType = document.querySelector("select[name=task_type]");
    if (taskType) {
      page.taskType = taskType.value;
      taskType.addEventListener("change", () => { page.taskType = taskType.value; redrawPreviews(); });
    }
    // Fields first, so the labels' preview starts with the item fields already known.
    const boxes = [...document.querySelectorAll("textarea[data-label-editor]")];
    boxes.sort((a, b) => (JSON.parse(a.dataset.labelEditor).editor === "fields" ? -1 : 0) - (JSON.parse(b.dataset.labelEditor).editor === "fields" ? -1 : 0));
    boxes.forEach(setUp);
    redrawPreviews();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
