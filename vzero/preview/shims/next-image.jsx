// next/image for the offline preview: a plain <img>, with root-relative sources made preview-relative.
import { forwardRef } from "react";
import { assetUrl } from "./router.js";

function imageProps({ src, alt, width, height, fill, sizes, quality, priority, placeholder, blurDataURL, loader, unoptimized, onLoadingComplete, overrideSrc, style, loading, ...rest }) {
  const source = src && typeof src === "object" ? src.src : src;
  const resolved = loader && typeof source === "string" ? loader({ src: source, width: Number(width) || 0, quality }) : source;
  return {
    ...rest,
    src: assetUrl(overrideSrc || resolved),
    alt: alt ?? "",
    width: fill ? undefined : width ?? (src && typeof src === "object" ? src.width : undefined),
    height: fill ? undefined : height ?? (src && typeof src === "object" ? src.height : undefined),
    sizes,
    loading: priority ? "eager" : loading ?? "lazy",
    style: fill ? { position: "absolute", inset: 0, width: "100%", height: "100%", ...style } : style,
  };
}

const Image = forwardRef(function Image(props, ref) {
  const { onLoadingComplete, onLoad } = props;
  const handleLoad = (event) => {
    if (onLoad) onLoad(event);
    if (onLoadingComplete) onLoadingComplete(event.currentTarget);
  };
  return <img {...imageProps(props)} ref={ref} onLoad={handleLoad} />;
});

export default Image;
export function getImageProps(props) {
  return { props: imageProps(props) };
}
