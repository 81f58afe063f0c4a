import { api, describe } from "../api";
import { field, h, messageBox } from "../dom";
import { saveSession, sessionFromToken } from "../session";
import type { PageContext } from "./context";

function credentialsInputs(prefix: string, autocomplete: string) {
  const username = h("input", {
    id: `${prefix}-username`,
    name: "username",
    autocomplete: "username",
    required: true,
    minlength: 3,
    maxlength: 32,
    pattern: "[a-z0-9_\\-]+",
  });
  const password = h("input", {
    id: `${prefix}-password`,
    name: "password",
    type: "password",
    autocomplete,
    required: true,
    minlength: 12,
    maxlength: 128,
  });
  return { username, password };
}

export function homePage(context: PageContext): HTMLElement {
  if (context.session) {
    const { userId, username } = context.session;
    return h(
      "section",
      { "aria-labelledby": "home-title" },
      h("h1", { id: "home-title" }, `Welcome back, ${username}`),
      h(
        "p",
        {},
        h("a", { href: "/me", "data-link": true }, "Edit my profile"),
        " · ",
        h("a", { href: `/u/${encodeURIComponent(userId)}`, "data-link": true }, "See my public page"),
      ),
    );
  }
  const signUp = credentialsInputs("signup", "new-password");
  const logIn = credentialsInputs("login", "current-password");
  const signUpMessage = messageBox();
  const logInMessage = messageBox();

  const onSignUp = async (event: Event) => {
    event.preventDefault();
    signUpMessage.info("Creating your account…");
    try {
      const { body } = await api.signUp(signUp.username.value, signUp.password.value);
      signUpMessage.info(`Account ${body.username} created. Log in below.`);
      logIn.username.value = body.username;
      logIn.password.focus();
    } catch (error) {
      signUpMessage.error(describe(error));
    }
  };
  const onLogIn = async (event: Event) => {
    event.preventDefault();
    logInMessage.info("Logging in…");
    try {
      const { body } = await api.logIn(logIn.username.value, logIn.password.value);
      saveSession(sessionFromToken(body.token, body.expiresIn));
      context.sessionChanged();
      context.navigate("/me");
    } catch (error) {
      logInMessage.error(describe(error));
    }
  };

  return h(
    "section",
    { "aria-labelledby": "home-title" },
    h("h1", { id: "home-title" }, "Meridian"),
    h("p", {}, "A public profile page with your approximate location on a map."),
    h(
      "div",
      { class: "columns" },
      h(
        "form",
        { "aria-labelledby": "signup-title", onsubmit: onSignUp, novalidate: true },
        h("h2", { id: "signup-title" }, "Sign up"),
        field("Username", signUp.username, "3-32 characters: a-z, 0-9, _ and -"),
        field("Password", signUp.password, "12-128 characters"),
        h("button", { type: "submit" }, "Create account"),
        signUpMessage.element,
      ),
      h(
        "form",
        { "aria-labelledby": "login-title", onsubmit: onLogIn, novalidate: true },
        h("h2", { id: "login-title" }, "Log in"),
        field("Username", logIn.username),
        field("Password", logIn.password),
        h("button", { type: "submit" }, "Log in"),
        logInMessage.element,
      ),
    ),
  );
}
