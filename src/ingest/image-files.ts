/** File names the image sources, the image data sets and `streamlens monitor image` read as photos. */
export const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|tiff?|bmp|avif)$/i;
