package mobilevit.launch;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** PNG line charts of a run's curves (XChart). */
final class Plots {

    /** One named curve. */
    record Curve(String name, List<? extends Number> x, List<? extends Number> y) {}

    private Plots() {}

    /** Writes a chart of {@code curves} to {@code file} (a .png). */
    static void lineChart(Path file, String title, String xTitle, String yTitle, List<Curve> curves) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(curves.size() > 1);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Curve c : curves) {
            XYSeries s = chart.addSeries(c.name(), c.x(), c.y());
            s.setMarker(c.x().size() > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        String name = file.toString();
        BitmapEncoder.saveBitmap(chart, name.endsWith(".png") ? name.substring(0, name.length() - 4) : name,
                BitmapEncoder.BitmapFormat.PNG);
    }
}
