// next/dynamic for the offline preview: React.lazy inside Suspense.
import { Suspense, lazy } from "react";

export default function dynamic(loader, options = {}) {
  const load = typeof loader === "function" ? loader : () => loader;
  const Lazy = lazy(() =>
    Promise.resolve(load()).then((mod) => ({ default: mod && mod.default !== undefined ? mod.default : mod })),
  );
  const Loading = options.loading;
  function Dynamic(props) {
    return (
      <Suspense fallback={Loading ? <Loading isLoading pastDelay error={null} /> : null}>
        <Lazy {...props} />
      </Suspense>
    );
  }
  return Dynamic;
}
