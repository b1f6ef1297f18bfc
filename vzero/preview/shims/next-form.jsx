// next/form in the preview: a <form>; a GET form with a string action navigates client-side.
import { forwardRef } from "react";
import { navigate } from "./router.js";

const Form = forwardRef(function Form({ action, replace, scroll, prefetch, onSubmit, ...rest }, ref) {
  const submit = (event) => {
    if (onSubmit) onSubmit(event);
    if (event.defaultPrevented || typeof action !== "string") return;
    event.preventDefault();
    const query = new URLSearchParams(new FormData(event.currentTarget)).toString();
    navigate(action + (query ? `?${query}` : ""), { replace, scroll: scroll !== false });
  };
  return <form {...rest} action={typeof action === "string" ? undefined : action} onSubmit={submit} ref={ref} />;
});

export default Form;
