// next/error in the preview: the default error page.
export default function Error({ statusCode = 500, title }) {
  const text = title || (statusCode === 404 ? "This page could not be found" : "An error occurred");
  return (
    <div style={{ padding: 48, textAlign: "center", fontFamily: "ui-sans-serif, system-ui, sans-serif" }}>
      <h1 style={{ fontSize: 24, fontWeight: 600 }}>{statusCode}</h1>
      <p style={{ color: "#6b7280" }}>{text}.</p>
    </div>
  );
}
