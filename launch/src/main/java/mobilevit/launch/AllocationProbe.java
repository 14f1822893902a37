package mobilevit.launch;

import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.dataset.ImageFolder;
import mobilevit.data.pipeline.RandomDraws;
import mobilevit.data.pipeline.Scale;
import mobilevit.data.pipeline.TrainTransform;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

/**
 * The Java heap one thread allocates per image while a transform prepares images of a folder
 * (read, decode, crop, resize, flip, write into a batch buffer), over two consecutive runs of
 * {@link #IMAGES} images: equal figures mean the allocation does not grow with the image count.
 */
final class AllocationProbe {

    static final int IMAGES = 200;

    private AllocationProbe() {}

    /** {bytes per image over images 1..IMAGES, bytes per image over the next IMAGES}. */
    static long[] bytesPerImage(ImageFolder folder, TrainTransform transform, Scale scale) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int h = scale.height();
        int w = scale.width();
        ByteBuffer out = ByteBuffer.allocateDirect(3 * h * w);
        long[] perImage = new long[2];
        for (int run = 0; run < 2; run++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < IMAGES; i++) {
                long sample = (long) run * IMAGES + i;
                try {
                    transform.apply(folder.path((int) (sample % folder.size())), h, w,
                            () -> RandomDraws.seeded(0, sample), out, 0);
                } catch (UnreadableImageException e) {
                    // counted like any other image: its reading and decoding allocated too
                }
            }
            perImage[run] = (threads.getCurrentThreadAllocatedBytes() - before) / IMAGES;
        }
        return perImage;
    }
}
