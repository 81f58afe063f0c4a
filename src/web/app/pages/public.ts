import { api, type PublicProfile } from "../api";
import { h, userText } from "../dom";
import { formatPoint, worldMap } from "../map";
import { commentsSection } from "./comments";
import type { PageContext } from "./context";

function locationBlock(profile: PublicProfile): { element: HTMLElement; ready: Promise<void> } {
  if (!profile.location) {
    const text =
      profile.locationStatus === "unavailable"
        ? "Location unavailable right now: try again later."
        : "No location shared.";
    return {
      element: h("p", { class: "location-text", id: "location-text" }, text),
      ready: Promise.resolve(),
    };
  }
  const place = formatPoint(profile.location);
  const map = worldMap(`World map with a marker at ${place}`);
  map.show(profile.location);
  const updated = new Date(profile.location.updatedAt);
  const element = h(
    "figure",
    { class: "location" },
    map.element,
    h(
      "figcaption",
      { class: "location-text", id: "location-text" },
      `Location: ${place} (rounded to about 1 km), updated `,
      h("time", { datetime: profile.location.updatedAt }, updated.toLocaleString()),
    ),
  );
  return { element, ready: map.ready };
}

/** /u/{userId}: the shareable public page; needs no sign-in. */
export async function publicPage(userId: string, context: PageContext): Promise<HTMLElement> {
  const { body: profile } = await api.getProfile(userId);
  const location = locationBlock(profile);
  const page = h(
    "article",
    { "aria-labelledby": "profile-name" },
    h("h1", { id: "profile-name" }, userText(profile.displayName)),
    profile.bio ? userText(profile.bio, "p") : h("p", { class: "muted" }, "No bio yet."),
    location.element,
    commentsSection(userId, context),
  );
  await location.ready;
  return page;
}
