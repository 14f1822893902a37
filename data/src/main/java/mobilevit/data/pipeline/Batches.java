package mobilevit.data.pipeline;

import java.util.Iterator;
import java.util.List;

/**
 * The batches of one pass (a training epoch from some iteration, or an evaluation), prepared ahead
 * by the loader's workers. One consumer thread; close it to stop the preparation early.
 */
public interface Batches extends Iterator<Batch>, AutoCloseable {

    /** Number of batches this pass returns in all. */
    int count();

    /** The images skipped so far in this pass, in sample order. */
    List<SkippedImage> skipped();

    @Override
    void close();
}
