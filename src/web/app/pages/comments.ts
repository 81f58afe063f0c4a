import { api, type Comment, describe } from "../api";
import { field, h, messageBox, userText } from "../dom";
import type { PageContext } from "./context";

/** The comments on one profile: newest first, ten a page, "Load more" while the API returns a nextToken. */
export function commentsSection(profileUserId: string, context: PageContext): HTMLElement {
  const list = h("ol", { class: "comments", "aria-label": "Comments" });
  const message = messageBox();
  const more = h("button", { type: "button", hidden: true }, "Load more comments");
  let nextToken: string | undefined;

  const item = (comment: Comment): HTMLElement => {
    const when = h("time", { datetime: comment.createdAt }, new Date(comment.createdAt).toLocaleString());
    const row = h(
      "li",
      { class: "comment", "data-comment-id": comment.commentId },
      h("p", { class: "comment-meta" }, userText(comment.authorName), " · ", when),
      userText(comment.message, "p"),
    );
    if (context.session?.userId === comment.authorId) {
      const remove = async () => {
        try {
          await api.deleteComment(profileUserId, comment.commentId);
          row.remove();
          message.info("Comment deleted.");
        } catch (error) {
          message.error(describe(error));
        }
      };
      row.append(h("button", { type: "button", class: "link", onclick: remove }, "Delete my comment"));
    }
    return row;
  };

  const load = async () => {
    try {
      const { body } = await api.listComments(profileUserId, nextToken);
      for (const comment of body.comments) list.append(item(comment));
      nextToken = body.nextToken;
      more.hidden = !nextToken;
      if (!list.children.length) message.info("No comments yet.");
    } catch (error) {
      more.hidden = true;
      message.error(`Comments could not be loaded: ${describe(error)}`);
    }
  };
  more.addEventListener("click", () => void load());

  const section = h(
    "section",
    { "aria-labelledby": "comments-title" },
    h("h2", { id: "comments-title" }, "Comments"),
  );
  if (context.session) section.append(commentForm(profileUserId, list, item, message));
  else section.append(h("p", {}, h("a", { href: "/", "data-link": true }, "Log in"), " to leave a comment."));
  section.append(message.element, list, more);
  void load();
  return section;
}

function commentForm(
  profileUserId: string,
  list: HTMLElement,
  item: (comment: Comment) => HTMLElement,
  message: ReturnType<typeof messageBox>,
): HTMLElement {
  const text = h("textarea", { id: "comment-message", name: "message", rows: 3, maxlength: 500 });
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    try {
      const { body } = await api.postComment(profileUserId, text.value);
      list.prepend(item(body));
      text.value = "";
      message.info("Comment posted.");
    } catch (error) {
      message.error(describe(error));
    }
  };
  return h(
    "form",
    { onsubmit: onSubmit, novalidate: true, "aria-label": "Leave a comment" },
    field("Your comment", text, "1-500 characters"),
    h("button", { type: "submit" }, "Post comment"),
  );
}
