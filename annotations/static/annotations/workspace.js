// The labelling page: one item at a time from the API, keyboard first, nothing lost on an error.
// Every item field is put in the page with textContent, never innerHTML: item text is data, not markup.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("workspace-config").textContent);
  const $ = (id) => document.getElementById(id);
  const els = { item: $("ws-item"), labels: $("ws-labels"), spans: $("ws-spans"), status: $("ws-status"),
                done: $("ws-done"), left: $("ws-left"), lease: $("ws-lease"), submit: $("ws-submit"),
                labelsMore: $("ws-labels-more"), skip: $("ws-skip"), undo: $("ws-undo"), review: $("ws-review"), instructions: $("ws-instructions"),
                practice: $("ws-practice"), feedback: $("ws-feedback"), verdict: $("ws-feedback-verdict"),
                feedbackAnswer: $("ws-feedback-answer"), explanation: $("ws-feedback-explanation"),
                continue: $("ws-continue"), workspace: $("workspace") };
  const isSpan = config.taskType === "span";
  const isMulti = config.taskType === "multi_label";
  const byShortcut = new Map(config.labels.filter((l) => l.shortcut).map((l) => [l.shortcut, l]));
  const REVIEW_KEY = "crowdlabel.workspace.review";
  const REFRESH_LEFT_EVERY = 10; // answers between two exact counts of the items left (gold and others shift it)
  let assignment = null, chosen = new Set(), spans = [], busy = false, doneCount = 0, leaseTimer = null;
  let itemsLeft = config.itemsLeft;
  let lastAnswer = null; // {id, expiresAt}: the answer that Undo takes back, while its lease runs
  let retryTimer = null; // the pending "ask again" after a refusal
  let cursor = { anchor: 0, focus: 0 }; // keyboard selection over tokens (span projects)
  let tokens = [];
  let feedbackOpen = false; // the right answer to a practice item is on screen until the worker continues

  function csrf() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* an empty or non-JSON body */ }
    // When to ask again for work refused for now: the JSON's retry_after, else the Retry-After header.
    const retryAfter = Number(data.retry_after || response.headers.get("Retry-After")) || null;
    return { status: response.status, data, retryAfter };
  }

  function say(text, isError) {
    els.status.textContent = text || "";
    els.status.classList.toggle("error", !!isError);
  }

  // Keys go to the page wherever the last click or dialog left the focus; a focused button would
  // otherwise take Enter for itself (clicking a label again instead of submitting).
  function refocus() { els.item.focus({ preventScroll: true }); }

  // One key labels and submits, unless the worker asked to review first (remembered on this device).
  function reviewing() { return !!(els.review && els.review.checked); }
  if (els.review) {
    try { els.review.checked = localStorage.getItem(REVIEW_KEY) === "1"; } catch (e) { /* storage blocked */ }
    els.review.addEventListener("change", () => {
      try { localStorage.setItem(REVIEW_KEY, els.review.checked ? "1" : "0"); } catch (e) { /* storage blocked */ }
      refocus();
    });
  }

  // --- Items left ---------------------------------------------------------------------------------
  // The server counts up to itemsLeftCap and then stops, so a capped count says "at least": taking one off
  // it would show 999 for a project with thousands left, and refreshLeft would jump back to 1000+.
  function leftIsCapped() { return itemsLeft >= config.itemsLeftCap; }

  function showLeft() {
    els.left.textContent = leftIsCapped() ? `${config.itemsLeftCap}+` : String(Math.max(0, itemsLeft));
  }

  function countOneDone() {
    if (!leftIsCapped()) itemsLeft -= 1;
    showLeft();
  }

  async function refreshLeft() {
    try {
      const response = await fetch(`/api/projects/${config.projectId}/left/`, { credentials: "same-origin" });
      if (response.ok) { itemsLeft = (await response.json()).left; showLeft(); }
    } catch (e) { /* the estimate stays as it was */ }
  }

  // --- Loading ------------------------------------------------------------------------------------
  async function loadNext() {
    let reply;
    try { reply = await post(`/api/projects/${config.projectId}/next/`); }
    catch (e) { say("Could not reach the server; retrying…", true); retryIn(3); return; }
    const { status, data, retryAfter } = reply;
    if (status === 403) { show(null); say(data.detail || "You cannot work on this project.", true); return; }
    if (status !== 200) { say("Could not reach the server; retrying…", true); retryIn(3); return; }
    if (data.practice) showPractice(data.practice); else show(data.assignment, data.reason, retryAfter);
  }

  // One pending retry at most: a skip or a 409 that loads the next item meanwhile replaces it.
  function retryIn(seconds) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => { retryTimer = null; loadNext(); }, seconds * 1000);
  }

  // `retryAfter`: no item for now, but ask again in that many seconds (others have priority on the last
  // items); the page does so by itself, from the first load and after a submit alike.
  // `previous`: the worker's own withdrawn answer (after an undo), shown as the starting choice.
  function show(next, reason, retryAfter, previous) {
    clearTimeout(retryTimer); retryTimer = null;
    assignment = next; chosen = new Set(); spans = []; cursor = { anchor: 0, focus: 0 };
    els.practice.hidden = true; hideFeedback();
    if (next && previous !== undefined && previous !== null) {
      if (isSpan) spans = spansFromServer(previous, next.item.data.text || "");
      else chosen = new Set(Array.isArray(previous) ? previous : [previous]);
    }
    els.item.replaceChildren(); els.spans.replaceChildren();
    const enabled = !!next;
    els.submit.disabled = !enabled; els.skip.disabled = !enabled;
    renderLabels();
    startLeaseClock();
    if (!next && retryAfter) { say(`${reason} Asking again in ${retryAfter} s…`); retryIn(retryAfter); return; }
    if (!next) {
      itemsLeft = 0; showLeft();
      say(reason || "No items left for you here. Thank you!");
      return;
    }
    say("");
    if (isSpan) renderSpanText(); else renderItem(next.item);
    refocus();
    if (config.showSuggestions && !next.practice) showSuggestion(next.id);
  }

  // --- Practice round -----------------------------------------------------------------------------
  // A practice item is shown like a real one, without a lease or Skip; answering it shows the right
  // answer and why, and Continue (Enter) asks for the next item, practice or real.
  function showPractice(turn) {
    show({ id: turn.id, item: turn.item, practice: true, expires_at: null });
    els.skip.disabled = true;
    els.practice.textContent = `Practice ${turn.answered + 1} of ${turn.required}: after you answer, you see the right answer and why. Practice answers are not paid or scored.`;
    els.practice.hidden = false;
  }

  function describe(value, item) {
    if (Array.isArray(value) && value.length && typeof value[0] === "object") {
      const text = (item.data && item.data.text) || "";
      return spansFromServer(value, text).map((s) => `${s.label} “${text.slice(s.start, s.end)}”`).join(", ");
    }
    if (Array.isArray(value)) return value.length ? value.join(", ") : "(none)";
    return String(value);
  }

  async function submitPractice(value) {
    busy = true; els.submit.disabled = true;
    const answered = assignment;
    try {
      const { status, data } = await post(`/api/practice/${answered.id}/answer/`, { answer: value });
      if (status === 201 || status === 200) { showFeedback(data, answered.item); return; }
      say(data.detail || "The server refused the answer; your choice is kept, try again.", true);
    } catch (e) {
      say("Network error: your answer is kept, press Enter to retry.", true);
    } finally {
      busy = false; if (assignment) els.submit.disabled = false;
    }
  }

  function showFeedback(data, item) {
    assignment = null; renderLabels(); els.submit.disabled = true; els.skip.disabled = true;
    els.verdict.textContent = data.correct ? "Right!" : "Not quite.";
    els.feedbackAnswer.textContent = data.correct
      ? `The right answer is ${describe(data.right_answer, item)}.`
      : `You answered ${describe(data.answer, item)}. The right answer is ${describe(data.right_answer, item)}.`;
    els.explanation.textContent = data.explanation || "";
    els.explanation.hidden = !data.explanation;
    els.feedback.classList.toggle("right", !!data.correct);
    els.feedback.hidden = false; feedbackOpen = true;
    els.workspace.classList.add("feedback-open");
    say("");
    els.feedback.scrollIntoView({ block: "nearest" });
    els.continue.focus({ preventScroll: true });
  }

  function hideFeedback() {
    els.feedback.hidden = true; feedbackOpen = false;
    els.workspace.classList.remove("feedback-open");
  }

  function continueAfterFeedback() {
    if (!feedbackOpen) return;
    hideFeedback(); loadNext();
  }

  // The active model's guess, where the project shows it: a hint to check, never pre-selected.
  async function showSuggestion(assignmentId) {
    try {
      const response = await fetch(`/api/assignments/${assignmentId}/suggestion/`, { credentials: "same-origin" });
      const data = await response.json();
      if (!data.suggestion || !assignment || assignment.id !== assignmentId) return;
      const label = data.suggestion.label;
      const text = Array.isArray(label) ? label.map((s) => s.label || s).join(", ") : label;
      const hint = document.createElement("p");
      hint.className = "ws-suggestion";
      hint.textContent = `Model suggestion: ${text} (${Math.round(data.suggestion.score * 100)}%). Check it; it is not your answer.`;
      els.item.append(hint);
    } catch (e) { /* a missing suggestion never blocks labelling */ }
  }

  // --- Rendering ----------------------------------------------------------------------------------
  function field(name, value) {
    const row = document.createElement("div");
    row.className = "field";
    const label = document.createElement("span"); label.className = "field-name"; label.textContent = name;
    const text = document.createElement("span"); text.className = "field-value"; text.textContent = String(value);
    row.append(label, text);
    return row;
  }

  function media(item, kind) {
    // An uploaded file (served by a permission-checked URL) is the project's kind of media; else a URL in the data.
    const src = (config.taskType === kind && item.media) || item.data[kind];
    if (!src) return null;
    const node = document.createElement(kind === "image" ? "img" : "audio");
    node.src = src;
    if (kind === "image") node.alt = "Item image"; else { node.controls = true; node.preload = "auto"; }
    return node;
  }

  function renderItem(item) {
    if (config.taskType === "pairwise") {
      const pair = document.createElement("div"); pair.className = "pair";
      for (const side of ["left", "right"]) {
        const record = document.createElement("div"); record.className = "record";
        const title = document.createElement("h2"); title.textContent = side === "left" ? "Listing A" : "Listing B";
        record.append(title);
        for (const [k, v] of Object.entries(item.data[side] || {})) if (v !== "") record.append(field(k, v));
        pair.append(record);
      }
      els.item.append(pair);
      return;
    }
    for (const kind of ["image", "audio"]) { const node = media(item, kind); if (node) els.item.append(node); }
    for (const [k, v] of Object.entries(item.data)) if (k !== "image" && k !== "audio" && v !== "") els.item.append(field(k, v));
  }

  function renderLabels() {
    els.labels.replaceChildren();
    for (const label of config.labels) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "label"; button.dataset.label = label.name;
      button.style.setProperty("--label-color", label.color || "#1f77b4");
      button.setAttribute("aria-pressed", chosen.has(label.name) ? "true" : "false");
      button.disabled = !assignment;
      const name = document.createElement("span"); name.textContent = label.name;
      button.append(name);
      if (label.shortcut) { const key = document.createElement("kbd"); key.textContent = label.shortcut; button.append(key); }
      if (label.description) button.title = label.description;
      button.addEventListener("click", () => { choose(label); refocus(); });
      els.labels.append(button);
    }
    showLabelsCue();
  }

  // More labels than the footer holds scroll inside it (CSS caps its height); until the last row is in
  // view, say so and fade the bottom edge, or the labels below the cut look like they do not exist.
  function showLabelsCue() {
    const box = els.labels;
    const more = box.scrollHeight - box.scrollTop - box.clientHeight > 2;
    box.classList.toggle("more", more);
    els.labelsMore.hidden = !more;
  }
  els.labels.addEventListener("scroll", showLabelsCue, { passive: true });
  window.addEventListener("resize", showLabelsCue);

  // --- Classification -----------------------------------------------------------------------------
  function choose(label) {
    if (!assignment || busy) return;
    if (isSpan) { labelSelection(label); return; }
    if (isMulti) { chosen.has(label.name) ? chosen.delete(label.name) : chosen.add(label.name); }
    else { chosen = new Set([label.name]); }
    for (const b of els.labels.querySelectorAll("button.label")) b.setAttribute("aria-pressed", chosen.has(b.dataset.label) ? "true" : "false");
    if (!isMulti && !reviewing()) { submit(); return; }
    say(chosen.size ? `Selected: ${[...chosen].join(", ")}. Enter submits.` : "");
  }

  // --- Spans --------------------------------------------------------------------------------------
  function textOf() { return assignment.item.data.text || ""; }

  // A span's offsets count Unicode code points everywhere but in this page (API, server checks, exports,
  // Python's own str), so "📱" is 1 there. JS strings index UTF-16 units, where it is 2: the page works in
  // units and converts at its edge, on every span it sends or receives.
  function codePointsBefore(text, unit) { return Array.from(text.slice(0, unit)).length; }
  function unitsBefore(text, codePoints) { return Array.from(text).slice(0, codePoints).join("").length; }
  function spansToServer(list, text) {
    return list.map(({ start, end, label }) => ({ start: codePointsBefore(text, start), end: codePointsBefore(text, end), label }));
  }
  function spansFromServer(list, text) {
    return list.map(({ start, end, label }) => ({ start: unitsBefore(text, start), end: unitsBefore(text, end), label }));
  }

  function tokenize(text) {
    const found = []; const re = /\S+/g; let m;
    while ((m = re.exec(text))) found.push({ start: m.index, end: m.index + m[0].length });
    return found;
  }

  // Plain text is one element per word and per gap, so the keyboard cursor highlights exactly its words.
  function renderSpanText() {
    const text = textOf();
    tokens = tokenize(text);
    const box = document.createElement("p"); box.id = "span-text"; box.className = "span-text";
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    const [selStart, selEnd] = keyboardSelection();
    const selected = (from, to) => selStart < to && from < selEnd;
    const piece = (from, to) => {
      const node = document.createElement("span"); node.textContent = text.slice(from, to); node.dataset.offset = from;
      if (/\S/.test(node.textContent) && selected(from, to)) node.classList.add("kb-selected");
      box.append(node);
    };
    const plain = (from, to) => {
      let at = from;
      for (const token of tokens) {
        if (token.end <= from || token.start >= to) continue;
        if (token.start > at) piece(at, token.start);
        piece(token.start, token.end); at = token.end;
      }
      if (at < to) piece(at, to);
    };
    let at = 0;
    for (const span of sorted) {
      plain(at, span.start);
      const mark = document.createElement("mark");
      const color = (config.labels.find((l) => l.name === span.label) || {}).color || "#ffd54f";
      mark.style.setProperty("--label-color", color); mark.dataset.offset = span.start;
      mark.textContent = text.slice(span.start, span.end);
      if (selected(span.start, span.end)) mark.classList.add("kb-selected");
      const tag = document.createElement("button"); tag.type = "button"; tag.className = "span-tag";
      tag.textContent = `${span.label} ×`; tag.setAttribute("aria-label", `Remove ${span.label} span “${mark.textContent}”`);
      tag.addEventListener("click", () => { removeSpan(span); refocus(); });
      mark.append(tag); box.append(mark); at = span.end;
    }
    plain(at, text.length);
    els.item.replaceChildren(box);
    els.spans.textContent = spans.length ? `${spans.length} span(s): ` + sorted.map((s) => `${s.label} “${text.slice(s.start, s.end)}”`).join(", ") : "";
  }

  function keyboardSelection() {
    if (!tokens.length) return [0, 0];
    const a = tokens[Math.min(cursor.anchor, cursor.focus)], b = tokens[Math.max(cursor.anchor, cursor.focus)];
    return [a.start, b.end];
  }

  function mouseSelection() {
    const selection = window.getSelection();
    const box = $("span-text");
    if (!selection || selection.isCollapsed || !box || !box.contains(selection.anchorNode)) return null;
    const range = selection.getRangeAt(0);
    const offsetOf = (node, offset) => {
      const holder = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      if (!holder || holder.dataset.offset === undefined) return null;
      return Number(holder.dataset.offset) + (node.nodeType === Node.TEXT_NODE ? offset : 0);
    };
    let start = offsetOf(range.startContainer, range.startOffset), end = offsetOf(range.endContainer, range.endOffset);
    if (start === null || end === null) return null;
    const text = textOf();
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    return start < end ? [start, end] : null;
  }

  function labelSelection(label) {
    const [start, end] = mouseSelection() || keyboardSelection();
    if (start >= end) { say("Select some words first.", true); return; }
    if (spans.some((s) => s.start < end && start < s.end)) { say("That overlaps a span already marked: remove it first.", true); return; }
    spans.push({ start, end, label: label.name });
    window.getSelection().removeAllRanges();
    // The cursor moves on to the first word after the new mark, ready for the next one.
    const after = tokens.findIndex((t) => t.start >= end);
    if (after >= 0) cursor = { anchor: after, focus: after };
    renderSpanText();
    say(`Marked “${textOf().slice(start, end)}” as ${label.name}.`);
  }

  function removeSpan(span) {
    spans = spans.filter((s) => s !== span);
    renderSpanText();
    say(`Removed ${span.label}.`);
  }

  function moveCursor(step, extend) {
    if (!tokens.length) return;
    cursor.focus = Math.max(0, Math.min(tokens.length - 1, cursor.focus + step));
    if (!extend) cursor.anchor = cursor.focus;
    renderSpanText();
    const [s, e] = keyboardSelection();
    say(`Selected “${textOf().slice(s, e)}”`);
  }

  // --- Submit, skip and undo ----------------------------------------------------------------------
  function answer() {
    if (isSpan) return spansToServer(spans, textOf());
    if (isMulti) return [...chosen];
    return chosen.size ? [...chosen][0] : null;
  }

  function setLastAnswer(value) {
    lastAnswer = value;
    els.undo.hidden = !value;
  }

  async function submit() {
    if (!assignment || busy) return;
    const value = answer();
    if (value === null || (isMulti && !value.length)) { say("Choose a label first.", true); return; }
    if (assignment.practice) { await submitPractice(value); return; }
    busy = true; els.submit.disabled = true;
    const submitted = assignment;
    try {
      const { status, data, retryAfter } = await post(`/api/assignments/${submitted.id}/submit/`, { answer: value });
      if (status === 201 || status === 200) {
        doneCount += 1; els.done.textContent = doneCount;
        countOneDone();
        setLastAnswer({ id: submitted.id, expiresAt: new Date(submitted.expires_at).getTime() });
        if (data.practice) showPractice(data.practice); else show(data.next, data.reason, retryAfter);
        if (data.next) say("Saved.");
        if (data.next && doneCount % REFRESH_LEFT_EVERY === 0) refreshLeft();
      } else if (status === 409) {
        say(`${data.detail} Loading the next item…`, true); await loadNext();
      } else if (status === 400) {
        say(data.detail || "This answer is not valid.", true);
      } else {
        say(data.detail || "The server refused the answer; your choice is kept, try again.", true);
      }
    } catch (e) {
      say("Network error: your answer is kept, press Enter to retry.", true);
    } finally {
      busy = false; if (assignment) els.submit.disabled = false;
    }
  }

  async function skip() {
    if (!assignment || busy) return;
    busy = true;
    try {
      const { status, data } = await post(`/api/assignments/${assignment.id}/skip/`);
      if (status !== 200) say(data.detail || "Could not skip.", true);
      else { countOneDone(); }
      await loadNext();
      if (status === 200) say("Skipped.");
    } finally { busy = false; }
  }

  // Takes back the last answer: the server reopens its assignment (and puts the item shown now back),
  // and the page shows that item again with the withdrawn answer chosen.
  async function undo() {
    if (!lastAnswer || busy) return;
    busy = true;
    const target = lastAnswer;
    setLastAnswer(null);
    try {
      const { status, data } = await post(`/api/assignments/${target.id}/undo/`);
      if (status === 200) {
        doneCount = Math.max(0, doneCount - 1); els.done.textContent = doneCount;
        show(data.assignment, "", undefined, data.answer);
        refreshLeft();
        say("Your last answer was taken back: answer this item again.");
      } else {
        say(data.detail || "That answer can no longer be undone.", true);
      }
    } catch (e) {
      setLastAnswer(target);
      say("Network error: could not undo; try again.", true);
    } finally {
      busy = false; if (assignment) els.submit.disabled = false;
    }
  }

  // --- Lease clock --------------------------------------------------------------------------------
  function startLeaseClock() {
    clearInterval(leaseTimer);
    const tick = () => {
      if (lastAnswer && lastAnswer.expiresAt <= Date.now()) setLastAnswer(null); // the server would refuse it
      if (!assignment || !assignment.expires_at) { els.lease.textContent = "—"; return; }
      const left = Math.max(0, Math.round((new Date(assignment.expires_at).getTime() - Date.now()) / 1000));
      els.lease.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    };
    tick(); leaseTimer = setInterval(tick, 1000);
  }

  // --- Instructions -------------------------------------------------------------------------------
  function toggleInstructions(open) {
    if (!els.instructions) return;
    els.instructions.open = open === undefined ? !els.instructions.open : open;
  }
  if (els.instructions) els.instructions.addEventListener("toggle", refocus);

  // --- Keyboard -----------------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (feedbackOpen) {
      // While the right answer is shown, Enter continues; label keys must not answer the next item unseen.
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); continueAfterFeedback(); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "z") {
      event.preventDefault(); undo(); return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { event.preventDefault(); toggleInstructions(); return; }
    if (event.key === "Escape") {
      event.preventDefault();
      if (els.instructions && els.instructions.open) toggleInstructions(false); else skip();
      return;
    }
    if (event.key === "Enter") {
      // Enter on the Instructions toggle or on Skip / Undo (reached with Tab) does what that control says.
      const own = target.closest && target.closest("summary, button:not(.label):not(#ws-submit)");
      if (own) return;
      event.preventDefault(); submit(); return;
    }
    if (isSpan && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      event.preventDefault(); moveCursor(event.key === "ArrowRight" ? 1 : -1, event.shiftKey); return;
    }
    if (isSpan && event.key === "Backspace" && spans.length) { event.preventDefault(); removeSpan(spans[spans.length - 1]); return; }
    const label = byShortcut.get(event.key.toLowerCase());
    if (label) { event.preventDefault(); choose(label); }
  });
  els.submit.addEventListener("click", () => { submit(); refocus(); });
  els.skip.addEventListener("click", () => { skip(); refocus(); });
  els.undo.addEventListener("click", () => { undo(); refocus(); });
  els.continue.addEventListener("click", () => { continueAfterFeedback(); refocus(); });
  // Closing the page hands the item back at once instead of holding it until the lease runs out.
  window.addEventListener("pagehide", () => {
    if (assignment) navigator.sendBeacon && fetch(`/api/assignments/${assignment.id}/release/`, {
      method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } });
  });
  showLeft();
  loadNext();
})();
