/*
 * Decodes one region of a JPEG with libjpeg's own API (libjpeg.so.62 of libjpeg-turbo), for the
 * training crops: the rows above the region are entropy-decoded only (jpeg_skip_scanlines), the
 * columns outside it are not transformed (jpeg_crop_scanline), and decoding stops after its last
 * row (the decompressor is destroyed there), so the Huffman data below it is never read.
 *
 * This file exists because libjpeg reports a damaged file by calling error_exit, which must not
 * return: it takes a setjmp/longjmp pair in C, which JNA cannot provide. TurboJPEG 2.x, which
 * JNA calls for whole images, has no region decoding (that came with TurboJPEG 3).
 *
 * The region's pixels equal a whole-image decode's (JpegRegionTest): its columns are widened by one
 * iMCU on each side, since fancy upsampling treats the decoded columns' edges as the image's, and
 * they are written into a buffer the size of the whole image, at their own place. Rows need no
 * margin: jpeg_skip_scanlines keeps the upsampler's context rows.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

/* Results; the caller decodes the whole image another way on any but OK. */
#define MOBILEVIT_JPEG_OK 0
#define MOBILEVIT_JPEG_NOT_APPLICABLE 1 /* CMYK/YCCK, not the size the caller expected, no region */
#define MOBILEVIT_JPEG_ERROR 2          /* libjpeg stopped on an error */
#define MOBILEVIT_JPEG_WARNING 3        /* a warning (damaged data) in what was decoded */

struct escape_error_mgr {
  struct jpeg_error_mgr pub;
  jmp_buf escape;
  int warned;
};

static void escape(j_common_ptr cinfo) {
  longjmp(((struct escape_error_mgr *)cinfo->err)->escape, 1);
}

static void note_warning(j_common_ptr cinfo, int level) {
  if (level < 0) {
    ((struct escape_error_mgr *)cinfo->err)->warned = 1;
  }
}

static int max_int(int a, int b) { return a > b ? a : b; }
static int min_int(int a, int b) { return a < b ? a : b; }

/*
 * Decodes the JPEG jpeg[0, size) scaled by 1/reduction (1, 2, 4 or 8) as BGR into dst, which holds
 * the whole scaled image (dst_height rows of 3 * dst_width bytes). At least the rows [top, top +
 * height) and columns [left, left + width) of dst are written, with their values in a whole-image
 * decode; other pixels of dst may be written or left as they were.
 */
int mobilevit_jpeg_decode_region(const unsigned char *jpeg, unsigned long size, int reduction, int top, int left,
                                 int height, int width, unsigned char *dst, int dst_width, int dst_height) {
  struct jpeg_decompress_struct cinfo;
  struct escape_error_mgr err;
  volatile int result = MOBILEVIT_JPEG_OK;

  memset(&cinfo, 0, sizeof cinfo); /* so that an error inside jpeg_create_decompress destroys nothing */
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = escape;
  err.pub.emit_message = note_warning;
  err.warned = 0;
  if (setjmp(err.escape)) {
    jpeg_destroy_decompress(&cinfo);
    return MOBILEVIT_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg, size);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK
      || (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8)) {
    result = MOBILEVIT_JPEG_NOT_APPLICABLE;
  } else {
    /* TurboJPEG's and OpenCV's settings: accurate integer IDCT, fancy upsampling (the defaults) */
    cinfo.out_color_space = JCS_EXT_BGR;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)reduction;
    jpeg_start_decompress(&cinfo);
    int imcu_width = cinfo.max_h_samp_factor * cinfo.min_DCT_scaled_size;
    int first_row = max_int(0, top);
    int end_row = min_int(dst_height, top + height);
    int first_col = max_int(0, left - imcu_width);
    int end_col = min_int(dst_width, left + width + imcu_width);
    if ((int)cinfo.output_width != dst_width || (int)cinfo.output_height != dst_height
        || cinfo.output_components != 3 || first_row >= end_row || first_col >= end_col) {
      result = MOBILEVIT_JPEG_NOT_APPLICABLE;
    } else {
      JDIMENSION x = (JDIMENSION)first_col;
      JDIMENSION w = (JDIMENSION)(end_col - first_col);
      jpeg_crop_scanline(&cinfo, &x, &w); /* x moves down to an iMCU boundary */
      jpeg_skip_scanlines(&cinfo, (JDIMENSION)first_row);
      while ((int)cinfo.output_scanline < end_row) {
        JSAMPROW rows[16];
        int n = min_int(16, end_row - (int)cinfo.output_scanline);
        for (int i = 0; i < n; i++) {
          rows[i] = dst + ((size_t)(cinfo.output_scanline + i) * dst_width + x) * 3;
        }
        if (jpeg_read_scanlines(&cinfo, rows, (JDIMENSION)n) == 0) {
          break; /* suspended: cannot happen with a memory source, which pads with EOI */
        }
      }
      if ((int)cinfo.output_scanline < end_row) {
        result = MOBILEVIT_JPEG_ERROR;
      }
    }
  }
  if (err.warned && result == MOBILEVIT_JPEG_OK) {
    result = MOBILEVIT_JPEG_WARNING;
  }
  jpeg_destroy_decompress(&cinfo); /* also ends a decompression left part-way */
  return result;
}
