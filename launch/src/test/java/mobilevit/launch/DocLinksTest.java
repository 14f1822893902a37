package mobilevit.launch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every relative Markdown link of README.md, ARCHITECTURE.md and docs/*.md leads somewhere: to a file
 * or folder of the repository, and where it names an {@code #anchor}, to a heading of that page
 * (GitHub's anchors: the heading in lower case, punctuation dropped, spaces as hyphens).
 */
class DocLinksTest {

    private static final Path ROOT = ReadmeTest.ROOT.toAbsolutePath().normalize();
    private static final Pattern FENCE = Pattern.compile("^```.*?^```", Pattern.DOTALL | Pattern.MULTILINE);
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} +(.+?) *#*$", Pattern.MULTILINE);

    @Test
    void everyRelativeLinkLeadsToAFileAndHeadingThatExist() throws IOException {
        List<Path> pages = new ArrayList<>(ReadmeTest.pages().stream().map(p -> p.toAbsolutePath().normalize()).toList());
        pages.add(ROOT.resolve("ARCHITECTURE.md"));
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            for (String target : links(Files.readString(page))) {
                if (target.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto: and other absolute addresses
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path to = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!to.startsWith(ROOT) || !Files.exists(to)) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no such file)");
                } else if (hash >= 0 && !anchors(to).contains(target.substring(hash + 1))) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no such heading in " + ROOT.relativize(to) + ")");
                }
            }
        }
        assertTrue(broken.isEmpty(), "broken links:\n" + String.join("\n", broken));
        assertTrue(checked >= 20, "relative links checked: " + checked);
    }

    @Test
    void anchorsAreGitHubs() {
        assertTrue(anchorsOf("## Fine-tuning on your own classes\n### Mixed precision (fp16)\n"
                + "### Offline, or with the machine's own (newer) PyTorch: `launch/build-jni.sh`\n## Fine-tuning on your own classes\n")
                .containsAll(List.of("fine-tuning-on-your-own-classes", "mixed-precision-fp16",
                        "offline-or-with-the-machines-own-newer-pytorch-launchbuild-jnish", "fine-tuning-on-your-own-classes-1")));
    }

    /** The link targets of a Markdown text, code blocks left out. */
    private static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        Matcher m = LINK.matcher(FENCE.matcher(markdown).replaceAll(""));
        while (m.find()) {
            targets.add(m.group(1));
        }
        return targets;
    }

    private static Set<String> anchors(Path file) throws IOException {
        return file.toString().endsWith(".md") ? anchorsOf(Files.readString(file)) : Set.of();
    }

    private static Set<String> anchorsOf(String markdown) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        Matcher m = HEADING.matcher(FENCE.matcher(markdown).replaceAll(""));
        while (m.find()) {
            String slug = m.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum) - 1;
            anchors.add(n == 0 ? slug : slug + "-" + n);
        }
        return anchors;
    }
}
