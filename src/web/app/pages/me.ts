import { ApiError, api, describe } from "../api";
import { field, h, messageBox } from "../dom";
import { formatPoint, type Point, worldMap } from "../map";
import type { Session } from "../session";
import type { PageContext } from "./context";

/** The version the form was loaded at (the ETag), sent back as If-Match. */
interface Loaded {
  displayName: string;
  bio: string;
  version: string | null;
}

async function loadOwnProfile(userId: string): Promise<Loaded> {
  try {
    const { body, etag } = await api.getProfile(userId);
    return { displayName: body.displayName, bio: body.bio ?? "", version: etag };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { displayName: "", bio: "", version: null };
    throw error;
  }
}

function profileForm(session: Session, loaded: Loaded, reload: () => void): HTMLElement {
  let version = loaded.version;
  const displayName = h("input", { id: "display-name", name: "displayName", required: true, maxlength: 64 });
  displayName.value = loaded.displayName;
  const bio = h("textarea", { id: "bio", name: "bio", rows: 4, maxlength: 500 });
  bio.value = loaded.bio;
  const message = messageBox();
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    message.info("Saving…");
    try {
      const { body, etag } = await api.putProfile(
        session.userId,
        { displayName: displayName.value, bio: bio.value },
        version,
      );
      version = etag ?? `"${body.version}"`;
      message.info(`Saved (version ${body.version}).`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        message.error(
          `Not saved: this profile was changed elsewhere since you opened it (${error.message}). Reload to see the latest version, then make your change again.`,
        );
        message.element.append(" ", h("button", { type: "button", onclick: reload }, "Reload"));
      } else {
        message.error(describe(error));
      }
    }
  };
  return h(
    "form",
    { "aria-labelledby": "profile-title", onsubmit: onSubmit, novalidate: true },
    h("h2", { id: "profile-title" }, "Profile"),
    field("Display name", displayName),
    field("Bio", bio),
    h("button", { type: "submit" }, "Save profile"),
    message.element,
  );
}

function coordinateInput(id: string, label: string, min: number, max: number) {
  const input = h("input", { id, name: id, type: "number", step: "any", min, max, required: true });
  return { input, element: field(label, input, `${min} to ${max}`) };
}

function locationForm(session: Session): HTMLElement {
  const latitude = coordinateInput("latitude", "Latitude", -90, 90);
  const longitude = coordinateInput("longitude", "Longitude", -180, 180);
  const message = messageBox();
  const chosen = h("p", { class: "chosen" }, "No point chosen yet.");
  const pick = (point: Point) => {
    latitude.input.value = point.latitude.toFixed(4);
    longitude.input.value = point.longitude.toFixed(4);
    map.show(point);
    chosen.textContent = `Chosen: ${formatPoint(point, 4)}`;
  };
  const map = worldMap("World map: click (or focus and use the arrow keys) to choose your location", pick);
  const fromInputs = () => {
    const point = { latitude: Number(latitude.input.value), longitude: Number(longitude.input.value) };
    if (latitude.input.value !== "" && longitude.input.value !== "" && Number.isFinite(point.latitude))
      map.show(point);
  };
  latitude.input.addEventListener("input", fromInputs);
  longitude.input.addEventListener("input", fromInputs);

  const useGeolocation = () => {
    if (!navigator.geolocation) return message.error("This browser cannot tell its location.");
    message.info("Asking the browser for your location…");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        pick({ latitude: position.coords.latitude, longitude: position.coords.longitude });
        message.info("Location found: save it to publish it.");
      },
      (error) => message.error(`The browser gave no location: ${error.message || "permission denied"}`),
      { timeout: 10_000 },
    );
  };
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    message.info("Saving location…");
    try {
      const { body } = await api.putLocation(
        session.userId,
        Number(latitude.input.value === "" ? Number.NaN : latitude.input.value),
        Number(longitude.input.value === "" ? Number.NaN : longitude.input.value),
      );
      message.info(
        `Location saved: ${formatPoint(body, 4)}. Your public page shows it rounded to ${formatPoint(body)}.`,
      );
    } catch (error) {
      message.error(describe(error));
    }
  };
  return h(
    "form",
    { "aria-labelledby": "location-title", onsubmit: onSubmit, novalidate: true },
    h("h2", { id: "location-title" }, "Location"),
    h("p", {}, "Only a rounded position (about 1 km) is ever public."),
    map.element,
    chosen,
    h("div", { class: "columns tight" }, latitude.element, longitude.element),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: useGeolocation }, "Use my current location"),
      h("button", { type: "submit" }, "Save location"),
    ),
    message.element,
  );
}

export async function mePage(context: PageContext): Promise<HTMLElement> {
  const session = context.session;
  if (!session) {
    return h(
      "section",
      {},
      h("h1", {}, "My profile"),
      h("p", {}, "Log in to edit your profile. ", h("a", { href: "/", "data-link": true }, "Log in")),
    );
  }
  const loaded = await loadOwnProfile(session.userId);
  return h(
    "section",
    { "aria-labelledby": "me-title" },
    h("h1", { id: "me-title" }, `My profile (${session.username})`),
    h(
      "p",
      {},
      "Public page: ",
      h(
        "a",
        { href: `/u/${encodeURIComponent(session.userId)}`, "data-link": true, id: "public-link" },
        `/u/${session.userId}`,
      ),
    ),
    profileForm(session, loaded, () => context.navigate("/me")),
    locationForm(session),
  );
}
