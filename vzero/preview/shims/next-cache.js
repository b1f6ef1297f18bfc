// next/cache in the preview: nothing is cached on a server, so these do nothing (or call straight through).
export function revalidatePath() {}
export function revalidateTag() {}
export function updateTag() {}
export function refresh() {}
export function unstable_noStore() {}
export const noStore = unstable_noStore;
export function unstable_cache(fn) {
  return fn;
}
export function cacheLife() {}
export function cacheTag() {}
export function unstable_cacheLife() {}
export function unstable_cacheTag() {}
