// next/server in the preview: Request/Response with the helpers route handlers and middleware use.
export class NextRequest extends Request {
  get nextUrl() {
    return new URL(this.url);
  }
  get cookies() {
    return new Map();
  }
}

export class NextResponse extends Response {
  static json(body, init) {
    return new NextResponse(JSON.stringify(body), { ...init, headers: { "content-type": "application/json", ...(init && init.headers) } });
  }
  static redirect(url, status = 307) {
    return new NextResponse(null, { status, headers: { location: String(url) } });
  }
  static next() {
    return new NextResponse(null);
  }
  static rewrite() {
    return new NextResponse(null);
  }
}

export function after(task) {
  queueMicrotask(() => (typeof task === "function" ? task() : task));
}

export function connection() {
  return Promise.resolve();
}

export const userAgent = () => ({ ua: navigator.userAgent, isBot: false, browser: {}, device: {}, engine: {}, os: {}, cpu: {} });
