// Search page only: loads the Pagefind bundle by a path relative to this file, so the
// search works under any sub-path and from a local server, with nothing from other hosts.
const form = document.querySelector("form.search-page");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const siteRoot = new URL("../", import.meta.url);
// The messages come from the page, in its language; {query} and {n} are filled in here.
const says = (key, values = {}) =>
  status.dataset[key].replace(/\{(query|n)\}/g, (_, name) => String(values[name]));
let pagefind = null;
let latest = 0;

async function loadIndex() {
  if (!pagefind) {
    pagefind = await import(new URL("pagefind/pagefind.js", siteRoot).href);
    await pagefind.options({ baseUrl: siteRoot.pathname });
    await pagefind.init();
  }
  return pagefind;
}

// Excerpts arrive as HTML; keep only their text and <mark> highlights, never other markup.
function excerptNode(html) {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html").body;
  const p = document.createElement("p");
  p.className = "result-excerpt";
  for (const node of parsed.firstChild ? parsed.firstChild.childNodes : []) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      p.append(mark);
    } else {
      p.append(node.textContent);
    }
  }
  return p;
}

function resultItem(data) {
  const li = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  li.append(heading, excerptNode(data.excerpt));
  return li;
}

async function run(query) {
  const ticket = ++latest;
  query = query.trim();
  const url = new URL(location.href);
  if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  if (!query) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  status.textContent = says("searching");
  try {
    const index = await loadIndex();
    const search = await index.search(query);
    const results = await Promise.all(search.results.slice(0, 20).map((r) => r.data()));
    if (ticket !== latest) return; // a newer query has started; drop this answer
    list.replaceChildren(...results.map(resultItem));
    const n = search.results.length;
    const key = n === 0 ? "none" : n === 1 ? "one" : n > 20 ? "best" : "many";
    status.textContent = says(key, { query, n });
  } catch (error) {
    status.textContent = says("failed");
  }
}

let timer = 0;
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => run(input.value), 250);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  run(input.value);
});
const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  input.value = initial;
  run(initial);
}
