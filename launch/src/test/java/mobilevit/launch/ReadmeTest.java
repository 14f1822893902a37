package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The command lines of README.md and docs/*.md stay true: every {@code launch/mobilevit} command in
 * a code block parses with the real command line, and every option it shows for a script is one the
 * script documents in its {@code --help}.
 */
class ReadmeTest {

    static final Path ROOT = Path.of(System.getProperty("fixtures.dir", "../fixtures")).getParent();
    private static final Pattern BLOCK = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);

    /** README.md and every page of docs/, the user documentation. */
    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    private static List<String> commandLines() throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path page : pages()) {
            text.append(Files.readString(page)).append('\n');
        }
        List<String> lines = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String block = m.group(1).replace("\\\n", " ");
            for (String line : block.split("\n")) {
                String command = line.replaceAll("\\s+#.*$", "").trim();
                if (!command.isEmpty()) {
                    lines.add(command);
                }
            }
        }
        return lines;
    }

    @Test
    void mobilevitCommandsParse() throws IOException {
        int checked = 0;
        for (String line : commandLines()) {
            int at = line.indexOf("launch/mobilevit ");
            if (at < 0) {
                continue;
            }
            String[] args = line.substring(at + "launch/mobilevit ".length()).replace("\"", "").trim().split("\\s+");
            new CommandLine(new Main()).parseArgs(args); // throws on an unknown command or option
            checked++;
        }
        assertTrue(checked >= 8, "command lines checked: " + checked);
    }

    @Test
    void scriptOptionsAreDocumentedByTheScripts() throws Exception {
        Pattern script = Pattern.compile("launch/([a-z-]+\\.sh)((?:\\s+[^|;&)]*)?)");
        int checked = 0;
        for (String line : commandLines()) {
            Matcher m = script.matcher(line);
            while (m.find()) {
                Path file = ROOT.resolve("launch").resolve(m.group(1));
                assertTrue(Files.isExecutable(file), file + " is named in the documentation");
                String help = help(file);
                for (String word : m.group(2).trim().split("\\s+")) {
                    if (word.startsWith("--")) {
                        assertTrue(help.contains(word), m.group(1) + " --help does not document " + word);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked >= 1, "script options checked: " + checked);
    }

    private static String help(Path script) throws Exception {
        Process p = new ProcessBuilder("bash", script.toString(), "--help").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), script + " --help: " + out);
        return out;
    }
}
