// next/headers in the preview: there is no request, so cookies come from document.cookie and headers are
// empty. The values are also promises, for Next 15's `await cookies()`.
function cookieJar() {
  const read = () => {
    const found = new Map();
    for (const part of document.cookie ? document.cookie.split("; ") : []) {
      const at = part.indexOf("=");
      const name = decodeURIComponent(at < 0 ? part : part.slice(0, at));
      found.set(name, { name, value: at < 0 ? "" : decodeURIComponent(part.slice(at + 1)) });
    }
    return found;
  };
  const jar = {
    get: (name) => read().get(typeof name === "object" ? name.name : name),
    getAll: (name) => [...read().values()].filter((c) => name === undefined || c.name === name),
    has: (name) => read().has(name),
    set(name, value, options = {}) {
      if (typeof name === "object") ({ name, value, ...options } = name);
      let text = `${encodeURIComponent(name)}=${encodeURIComponent(value ?? "")}; path=${options.path || "/"}`;
      if (options.maxAge !== undefined) text += `; max-age=${options.maxAge}`;
      document.cookie = text;
      return jar;
    },
    delete(name) {
      document.cookie = `${encodeURIComponent(typeof name === "object" ? name.name : name)}=; path=/; max-age=0`;
      return jar;
    },
    get size() {
      return read().size;
    },
    toString: () => document.cookie,
    [Symbol.iterator]: () => read().entries(),
  };
  return jar;
}

function settled(value) {
  const promise = Promise.resolve(value);
  return Object.assign(promise, value, { get: value.get, has: value.has, getAll: value.getAll, set: value.set, delete: value.delete });
}

export function cookies() {
  return settled(cookieJar());
}

export function headers() {
  const h = new Headers({ "user-agent": navigator.userAgent, host: location.host });
  return Object.assign(Promise.resolve(h), { get: (n) => h.get(n), has: (n) => h.has(n), entries: () => h.entries(), forEach: (f) => h.forEach(f) });
}

export function draftMode() {
  const mode = { isEnabled: false, enable() {}, disable() {} };
  return Object.assign(Promise.resolve(mode), mode);
}
