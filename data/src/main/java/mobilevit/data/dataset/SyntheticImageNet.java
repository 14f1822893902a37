package mobilevit.data.dataset;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import mobilevit.core.AtomicFiles;
import mobilevit.core.FileTrees;
import mobilevit.core.UserError;
import mobilevit.data.codec.OpenCv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Writes a small ImageNet-layout dataset ({@code train/<class>/*.JPEG}, {@code val/<class>/*.JPEG})
 * whose classes can be learnt: each class is one shape (6 kinds) with its own colour and surface
 * (plain, striped or dotted), drawn at a random position, size and rotation over a random smooth
 * background with a few clutter lines, with film-like grain over all. Images are 200 to 500 pixels
 * a side (or all of one given size, such as ImageNet's typical 500x375), JPEG quality 90, of about
 * the size per pixel of ImageNet's photographs. Every image is a function of (seed, split, class,
 * number, size), so the dataset is the same on every machine.
 *
 * <p>The folder is written under a temporary name next to the output and renamed into place at the
 * end, so an interrupted run never leaves something that looks like a complete dataset.
 */
public final class SyntheticImageNet {

    private static final String[] SHAPES = {"circle", "square", "triangle", "cross", "ring", "diamond"};
    private static final String[] SURFACES = {"plain", "striped", "dotted"};
    private static final int MIN_SIDE = 200;
    private static final int MAX_SIDE = 500;
    private static final int QUALITY = 90;

    /** A fixed size for every image, in pixels. */
    public record ImageSize(int height, int width) {

        /** The most common size of ImageNet's photographs (landscape 4:3). */
        public static final ImageSize IMAGENET = new ImageSize(375, 500);

        public ImageSize {
            if (height < 16 || width < 16 || height > 8192 || width > 8192) {
                throw new UserError("image size must be 16 to 8192 pixels a side, got " + width + "x"
                        + height);
            }
        }

        /** Parses {@code WIDTHxHEIGHT}, e.g. {@code 500x375}. */
        public static ImageSize parse(String widthByHeight) {
            String[] parts = widthByHeight.split("x", -1);
            if (parts.length == 2 && parts[0].matches("[0-9]{1,5}") && parts[1].matches("[0-9]{1,5}")) {
                return new ImageSize(Integer.parseInt(parts[1]), Integer.parseInt(parts[0]));
            }
            throw new UserError("image size must be WIDTHxHEIGHT, e.g. 500x375, got '" + widthByHeight + "'");
        }
    }

    private SyntheticImageNet() {}

    /**
     * Generates the dataset into {@code output}, which must not exist or be an empty folder, with
     * images of random sizes (200 to 500 pixels a side).
     *
     * @throws UserError on bad counts or a non-empty output
     */
    public static void generate(Path output, int classes, int trainPerClass, int valPerClass, long seed)
            throws IOException {
        generate(output, classes, trainPerClass, valPerClass, seed, null);
    }

    /** As {@link #generate(Path, int, int, int, long)}, every image of {@code size} (null: random sizes). */
    public static void generate(Path output, int classes, int trainPerClass, int valPerClass, long seed,
                                ImageSize size) throws IOException {
        if (classes < 1 || trainPerClass < 1 || valPerClass < 0) {
            throw new UserError("need at least 1 class and 1 training image per class, got "
                    + classes + " classes, " + trainPerClass + " train and " + valPerClass + " val per class");
        }
        if (Files.exists(output) && !isEmptyFolder(output)) {
            throw new UserError("output " + output + " exists and is not an empty folder");
        }
        OpenCv.load();
        Path absolute = output.toAbsolutePath();
        Files.createDirectories(absolute.getParent()); // as mkdir -p: the output may be a new nested folder
        Path partial = AtomicFiles.newTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".partial-");
        try {
            writeSplit(partial.resolve("train"), 0, classes, trainPerClass, seed, size);
            if (valPerClass > 0) {
                writeSplit(partial.resolve("val"), 1, classes, valPerClass, seed, size);
            }
            Files.move(partial, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            FileTrees.delete(partial);
        }
    }

    /** The folder name of class {@code k}: sorts in class order and says what the class looks like. */
    public static String className(int k) {
        return String.format(Locale.ROOT, "s%04d-%s-%s", k, SURFACES[k / SHAPES.length % SURFACES.length],
                SHAPES[k % SHAPES.length]);
    }

    private static void writeSplit(Path split, int splitId, int classes, int perClass, long seed, ImageSize size)
            throws IOException {
        for (int k = 0; k < classes; k++) {
            Files.createDirectories(split.resolve(className(k)));
        }
        try {
            IntStream.range(0, classes * perClass).parallel().forEach(n -> {
                int k = n / perClass;
                int i = n % perClass;
                String name = String.format(Locale.ROOT, "%s_%05d.JPEG", className(k), i);
                try {
                    Files.write(split.resolve(className(k)).resolve(name),
                            image(k, Seeds.random(seed, splitId, k, i), size));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The JPEG bytes of one image of class k, of {@code size} (null: random). */
    public static byte[] image(int k, SplittableRandom r, ImageSize size) {
        OpenCv.load();
        int h = size == null ? r.nextInt(MIN_SIDE, MAX_SIDE + 1) : size.height();
        int w = size == null ? r.nextInt(MIN_SIDE, MAX_SIDE + 1) : size.width();
        Mat img = background(h, w, r);
        Mat mask = Mat.zeros(h, w, CvType.CV_8UC1);
        Mat surface = new Mat(h, w, CvType.CV_8UC3);
        MatOfByte jpeg = new MatOfByte();
        try {
            clutter(img, r);
            drawShape(mask, k % SHAPES.length, h, w, r);
            paintSurface(surface, k, r);
            surface.copyTo(img, mask);
            addGrain(img, r);
            Imgcodecs.imencode(".jpg", img, jpeg, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, QUALITY));
            return jpeg.toArray();
        } finally {
            img.release();
            mask.release();
            surface.release();
            jpeg.release();
        }
    }

    /** A smooth random background: a 3x3 grid of random muted colours, bilinearly enlarged. */
    private static Mat background(int h, int w, SplittableRandom r) {
        Mat grid = new Mat(3, 3, CvType.CV_8UC3);
        byte[] colours = new byte[27];
        int base = r.nextInt(40, 200);
        for (int i = 0; i < colours.length; i++) {
            colours[i] = (byte) Math.max(0, Math.min(255, base + r.nextInt(-50, 51)));
        }
        grid.put(0, 0, colours);
        Mat out = new Mat();
        Imgproc.resize(grid, out, new Size(w, h), 0, 0, Imgproc.INTER_LINEAR);
        grid.release();
        return out;
    }

    /**
     * Gaussian grain (a random 61 x 61 tile repeated), so that the JPEGs carry about as much detail
     * per pixel as photographs and decode about as slowly.
     */
    private static void addGrain(Mat img, SplittableRandom r) {
        int tile = 61;
        double sigma = r.nextDouble(8, 18);
        short[] values = new short[tile * tile * 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = (short) Math.round(r.nextGaussian() * sigma);
        }
        Mat grain = new Mat(tile, tile, CvType.CV_16SC3);
        grain.put(0, 0, values);
        Mat tiled = new Mat();
        Core.repeat(grain, (img.rows() + tile - 1) / tile, (img.cols() + tile - 1) / tile, tiled);
        Mat wide = new Mat();
        img.convertTo(wide, CvType.CV_16SC3);
        Mat roi = tiled.submat(0, img.rows(), 0, img.cols());
        Core.add(wide, roi, wide);
        wide.convertTo(img, CvType.CV_8UC3);
        for (Mat m : new Mat[] {grain, tiled, wide, roi}) {
            m.release();
        }
    }

    private static void clutter(Mat img, SplittableRandom r) {
        int lines = r.nextInt(2, 6);
        for (int i = 0; i < lines; i++) {
            Point a = new Point(r.nextInt(img.cols()), r.nextInt(img.rows()));
            Point b = new Point(r.nextInt(img.cols()), r.nextInt(img.rows()));
            Imgproc.line(img, a, b, new Scalar(r.nextInt(256), r.nextInt(256), r.nextInt(256)), r.nextInt(1, 6));
        }
    }

    private static void drawShape(Mat mask, int shape, int h, int w, SplittableRandom r) {
        double size = Math.min(h, w) * r.nextDouble(0.25, 0.45); // half-extent
        Point c = new Point(r.nextDouble(size, w - size), r.nextDouble(size, h - size));
        double angle = r.nextDouble(0, 2 * Math.PI);
        Scalar white = new Scalar(255);
        switch (SHAPES[shape]) {
            case "circle" -> Imgproc.circle(mask, c, (int) size, white, -1);
            case "ring" -> Imgproc.circle(mask, c, (int) (size * 0.8), white, Math.max(4, (int) (size * 0.35)));
            case "square" -> polygon(mask, c, size, angle, 4, new double[] {1, 1, 1, 1});
            case "diamond" -> polygon(mask, c, size, angle, 4, new double[] {1, 0.55, 1, 0.55});
            case "triangle" -> polygon(mask, c, size, angle, 3, new double[] {1, 1, 1});
            case "cross" -> {
                double arm = size * 0.3;
                for (double a : new double[] {angle, angle + Math.PI / 2}) {
                    Point d = new Point(Math.cos(a) * size, Math.sin(a) * size);
                    Imgproc.line(mask, new Point(c.x - d.x, c.y - d.y), new Point(c.x + d.x, c.y + d.y), white,
                            (int) (2 * arm));
                }
            }
            default -> throw new IllegalStateException(SHAPES[shape]);
        }
    }

    private static void polygon(Mat mask, Point c, double size, double angle, int corners, double[] radii) {
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < corners; i++) {
            double a = angle + 2 * Math.PI * i / corners;
            points.add(new Point(c.x + Math.cos(a) * size * radii[i], c.y + Math.sin(a) * size * radii[i]));
        }
        MatOfPoint poly = new MatOfPoint();
        poly.fromList(points);
        Imgproc.fillPoly(mask, List.of(poly), new Scalar(255));
        poly.release();
    }

    /** The class's colour (a hue of its own, slightly jittered per image) and surface pattern. */
    private static void paintSurface(Mat surface, int k, SplittableRandom r) {
        double hue = (k * 0.618033988749895) % 1.0 * 180; // OpenCV hue range 0..180
        Mat hsv = new Mat(1, 1, CvType.CV_8UC3, new Scalar(
                Math.max(0, Math.min(179, hue + r.nextDouble(-4, 4))), r.nextInt(170, 256), r.nextInt(170, 256)));
        Mat bgr = new Mat();
        Imgproc.cvtColor(hsv, bgr, Imgproc.COLOR_HSV2BGR);
        double[] colour = bgr.get(0, 0);
        hsv.release();
        bgr.release();
        Scalar main = new Scalar(colour);
        Scalar dark = new Scalar(colour[0] * 0.35, colour[1] * 0.35, colour[2] * 0.35);
        surface.setTo(main);
        int h = surface.rows();
        int w = surface.cols();
        int period = r.nextInt(10, 22);
        switch (SURFACES[k / SHAPES.length % SURFACES.length]) {
            case "striped" -> {
                for (int x = -h; x < w + h; x += period) {
                    Imgproc.line(surface, new Point(x, 0), new Point(x + h, h), dark, period / 3 + 1);
                }
            }
            case "dotted" -> {
                for (int y = period / 2; y < h; y += period) {
                    for (int x = period / 2; x < w; x += period) {
                        Imgproc.circle(surface, new Point(x, y), period / 4 + 1, dark, -1);
                    }
                }
            }
            case "plain" -> { } // the colour alone
            default -> throw new IllegalStateException(SURFACES[k / SHAPES.length % SURFACES.length]);
        }
    }

    private static boolean isEmptyFolder(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }
}
