// quart_app: progressive enhancement. Every page works without this file; it adds Markdown
// previews in place, live updates, keyboard shortcuts, confirmations and label colours.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Label colours come from data attributes: the CSP forbids inline style attributes.
function colourLabels(root) {
  root.querySelectorAll(".label[data-color]").forEach((label) => {
    const hex = label.dataset.color;
    if (!/^#[0-9a-fA-F]{6}$/.test(hex)) return;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    label.style.setProperty("--label-bg", hex);
    label.style.setProperty("--label-fg", luminance > 0.55 ? "#111" : "#fff");
    label.classList.add("colored");
  });
}

function localTimes(root) {
  root.querySelectorAll("time[datetime]").forEach((time) => {
    const moment = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) {
      time.title = time.textContent;
      time.textContent = moment.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    }
  });
}

function enhance(root) {
  colourLabels(root);
  localTimes(root);
}

// Forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// "Preview" renders in place instead of reloading the page.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-preview-button]");
  if (!button) return;
  const form = button.form;
  const textarea = form.elements[button.dataset.previewButton];
  const pane = document.getElementById(textarea.dataset.preview);
  if (!pane) return;
  event.preventDefault();
  const body = new URLSearchParams({ body: textarea.value });
  try {
    const response = await fetch("/preview", {
      method: "POST", body, headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    pane.innerHTML = await response.text(); // sanitised by the server's allow-list
  } catch (error) {
    pane.textContent = "The preview is not available right now.";
  }
  pane.classList.remove("empty-preview");
});

// Shortcuts: "/" search, "c" new issue. Never while typing.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === "/") {
    const search = document.querySelector('[data-shortcut="/"]');
    if (search) { event.preventDefault(); search.focus(); }
  } else if (event.key === "c") {
    const link = document.getElementById("new-issue-link");
    if (link) { event.preventDefault(); window.location.assign(link.href); }
  }
});

// Live updates on an issue page: refresh the parts that changed, never the form being typed in.
function followIssue(article) {
  const number = Number(article.dataset.liveIssue);
  const status = document.querySelector("[data-live-status]");
  let pending = null;
  const refresh = async () => {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    document.querySelectorAll("[data-live-region]").forEach((region) => {
      const replacement = fresh.getElementById(region.id);
      if (!replacement || region.contains(document.activeElement)) return;
      enhance(replacement);
      region.replaceWith(document.importNode(replacement, true));
    });
    if (status) status.textContent = "This issue was just updated.";
  };
  const source = new EventSource(article.dataset.liveUrl);
  source.addEventListener("change", (message) => {
    if (JSON.parse(message.data).issue !== number) return;
    clearTimeout(pending); // a burst of changes (label + comment) is one refresh
    pending = setTimeout(refresh, 150);
  });
  article.dataset.liveState = "connected";
}

// Live updates on an issue list: say how many changes happened since the page was loaded.
function followList(notice) {
  const counter = notice.querySelector("[data-live-count]");
  let count = 0;
  const source = new EventSource(notice.dataset.liveList);
  source.addEventListener("change", () => {
    count += 1;
    counter.textContent = String(count);
    notice.hidden = false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  enhance(document);
  const article = document.querySelector("[data-live-issue]");
  if (article && window.EventSource) followIssue(article);
  const notice = document.querySelector("[data-live-list]");
  if (notice && window.EventSource) followList(notice);
});
