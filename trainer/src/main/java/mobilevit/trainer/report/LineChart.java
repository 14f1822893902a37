package mobilevit.trainer.report;

import mobilevit.core.AtomicFiles;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

/** PNG line charts of a run's curves (XChart), written atomically. */
final class LineChart {

    /** One named curve; an empty one is left out of the chart. */
    record Curve(String name, List<? extends Number> x, List<? extends Number> y) {}

    private LineChart() {}

    /** Writes a chart of {@code curves} to {@code file} (a .png); with no points at all the title says so. */
    static void write(Path file, String title, String xTitle, String yTitle, List<Curve> curves) throws IOException {
        System.setProperty("java.awt.headless", "true");
        // ImageIO's default file cache registers a shutdown hook per stream, which fails once a
        // SIGINT or SIGTERM has started the JVM's shutdown: the plots of the epoch a signal ends
        // would not be drawn. A chart is small; the memory cache registers nothing.
        ImageIO.setUseCache(false);
        List<Curve> drawn = curves.stream().filter(c -> !c.x().isEmpty()).toList();
        XYChart chart = new XYChartBuilder().width(800).height(500)
                .title(drawn.isEmpty() ? title + " (nothing logged yet)" : title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(drawn.size() > 1);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Curve c : drawn) {
            XYSeries s = chart.addSeries(c.name(), c.x(), c.y());
            s.setMarker(c.x().size() > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.write(file, out -> out.write(png));
    }
}
