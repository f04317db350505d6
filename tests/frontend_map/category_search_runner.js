// Runs the page's own category-search.js in node: reads {categories, queries} as JSON on stdin,
// prints [[code, …top 3], …] (one list per query).
"use strict";
const path = require("path");
const search = require(path.resolve(__dirname, "../../frontend_map/static/frontend_map/category-search.js"));
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const data = JSON.parse(input);
  const indexed = search.index(data.categories);
  const out = data.queries.map((q) => search.rank(q, indexed).slice(0, 3).map((c) => c.code));
  process.stdout.write(JSON.stringify(out));
});
