/**
 * A world map drawn from the outlines shipped with the app (world-atlas land,
 * projected at build time: x = longitude + 180, y = 90 - latitude), so it
 * needs no tile server and works offline.
 */
declare const WORLD_MAP_URL: string;

const SVG = "http://www.w3.org/2000/svg";
let outline: Promise<string> | undefined;

function landPath(): Promise<string> {
  outline ??= fetch(WORLD_MAP_URL)
    .then((response) => (response.ok ? (response.json() as Promise<{ d: string }>) : { d: "" }))
    .then((data) => data.d)
    .catch(() => "");
  return outline;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string>,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

export interface Point {
  latitude: number;
  longitude: number;
}

export interface WorldMap {
  element: SVGSVGElement;
  /** Resolves once the outlines are drawn. */
  ready: Promise<void>;
  show(point: Point | null): void;
}

export function formatPoint({ latitude, longitude }: Point, digits = 2): string {
  const lat = `${Math.abs(latitude).toFixed(digits)}° ${latitude < 0 ? "S" : "N"}`;
  const lon = `${Math.abs(longitude).toFixed(digits)}° ${longitude < 0 ? "W" : "E"}`;
  return `${lat}, ${lon}`;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * `label` is the map's text alternative; with `onPick` a click (or the arrow
 * keys, one degree a press, ten with Shift) chooses a point.
 */
export function worldMap(label: string, onPick?: (point: Point) => void): WorldMap {
  const element = svg("svg", {
    viewBox: "0 0 360 180",
    class: "world-map",
    role: "img",
    "aria-label": label,
  });
  const title = svg("title", {});
  title.textContent = label;
  const land = svg("path", { class: "land", d: "" });
  const marker = svg("g", { class: "marker", visibility: "hidden" });
  marker.append(
    svg("circle", { r: "3.2", class: "marker-halo" }),
    svg("circle", { r: "1.6", class: "marker-dot" }),
  );
  element.append(title, svg("rect", { class: "sea", width: "360", height: "180" }), land, marker);
  let current: Point | null = null;

  const show = (point: Point | null): void => {
    current = point;
    marker.setAttribute("visibility", point ? "visible" : "hidden");
    if (point) marker.setAttribute("transform", `translate(${point.longitude + 180} ${90 - point.latitude})`);
  };

  if (onPick) {
    element.setAttribute("tabindex", "0");
    element.classList.add("pickable");
    element.addEventListener("click", (event) => {
      const matrix = element.getScreenCTM();
      if (!matrix) return;
      const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      onPick({ latitude: clamp(90 - at.y, -90, 90), longitude: clamp(at.x - 180, -180, 180) });
    });
    element.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? 10 : 1;
      const moves: Record<string, [number, number]> = {
        ArrowUp: [step, 0],
        ArrowDown: [-step, 0],
        ArrowLeft: [0, -step],
        ArrowRight: [0, step],
      };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      const from = current ?? { latitude: 0, longitude: 0 };
      onPick({
        latitude: clamp(from.latitude + move[0], -90, 90),
        longitude: clamp(from.longitude + move[1], -180, 180),
      });
    });
  }
  const ready = landPath().then((d) => land.setAttribute("d", d));
  return { element, ready, show };
}
