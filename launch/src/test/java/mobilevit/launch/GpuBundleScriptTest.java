package mobilevit.launch;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static mobilevit.launch.Scripts.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * launch/package-gpu-bundle.sh: its argument errors, and which entries it takes out of the jar
 * (checked on a small jar written here with the shaded jar's kinds of entries).
 */
class GpuBundleScriptTest {

    private static final String SCRIPT = "package-gpu-bundle.sh";

    /** Entries a GPU machine does not use. */
    private static final List<String> DROPPED = List.of(
            "pytorch/cpu/linux-x86_64/libtorch_cpu.so",
            "pytorch/cpu/linux-x86_64/libc10.so",
            "native/lib/pytorch.properties",
            "jnilib/pytorch.properties",
            "jnilib/linux-x86_64/cpu/libdjl_torch.so",
            "jnilib/linux-x86_64/cu128/libdjl_torch.so",
            "nu/pattern/opencv/osx/ARMv8/libopencv_java490.dylib",
            "nu/pattern/opencv/windows/x86_64/opencv_java490.dll",
            "nu/pattern/opencv/linux/ARMv7/libopencv_java490.so",
            "com/sun/jna/darwin-aarch64/libjnidispatch.jnilib",
            "com/sun/jna/win32-x86-64/jnidispatch.dll",
            "META-INF/versions/9/module-info.class");
    private static final String OPENCV_LINUX = "nu/pattern/opencv/linux/x86_64/libopencv_java490.so";
    /** Entries that stay, some of them next to dropped ones. */
    private static final List<String> KEPT = List.of(
            "META-INF/MANIFEST.MF",
            "pytorch-engine.properties",
            "ai/djl/pytorch/jni/LibUtils.class",
            "com/sun/jna/Native.class",
            "com/sun/jna/ptr/IntByReference.class",
            "com/sun/jna/win32/W32APITypeMapper.class",
            "com/sun/jna/linux-x86-64/libjnidispatch.so",
            "nu/pattern/OpenCV.class",
            "META-INF/versions/9/org/yaml/snakeyaml/internal/Logger.class");

    @TempDir
    Path tmp;

    private Scripts.Result run(String... args) {
        return Scripts.run(tmp, Map.of(), SCRIPT, args);
    }

    @Test
    void helpNamesTheCarryFolder() {
        Scripts.Result r = run("--help").expect(0);
        assertContains(r.out(), "Usage: launch/package-gpu-bundle.sh OUT_DIR");
        assertContains(r.out(), ".gpu-bundle");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no OUT_DIR||OUT_DIR is required",
        "unknown|out --frobnicate|unknown option: --frobnicate",
        "parts|out --parts jar,docs|--parts: unknown part 'docs'",
        "missing jar|out --jar /nonexistent/m.jar|no jar at /nonexistent/m.jar",
    })
    void badArgumentsExitTwoWithOneLine(String name, String args, String message) {
        Scripts.Result r = run(args == null ? new String[0] : args.split(" ")).expect(2);
        assertContains(r.oneErrorLine(), message);
    }

    private Path smallJar() throws IOException {
        Path jar = tmp.resolve("mobilevit.jar");
        List<String> all = new ArrayList<>(KEPT);
        all.addAll(DROPPED);
        all.add(OPENCV_LINUX);
        Collections.shuffle(all, new java.util.Random(7));
        all.remove("META-INF/MANIFEST.MF");
        all.add(0, "META-INF/MANIFEST.MF");
        try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (String name : all) {
                zip.putNextEntry(new ZipEntry(name));
                String text = name.endsWith("MANIFEST.MF") ? "Manifest-Version: 1.0\n" : name;
                zip.write(text.getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return jar;
    }

    private Set<String> packedJarEntries(boolean withOpencv) throws IOException {
        for (String tool : List.of("zip", "unzip", "tar", "xz")) {
            Assumptions.assumeTrue(Scripts.onPath(tool), tool + " is not installed (apt-get install zip unzip xz-utils)");
        }
        Path out = tmp.resolve(withOpencv ? "out-cv" : "out");
        List<String> args = new ArrayList<>(List.of(out.toString(), "--jar", smallJar().toString(), "--parts", "jar"));
        if (withOpencv) {
            args.add("--with-opencv");
        }
        Scripts.Result r = run(args.toArray(String[]::new)).expect(0);
        assertEquals(out.resolve("gpu-bundle.tar.xz").toString(), r.lastOutLine());
        Path unpacked = Files.createDirectories(tmp.resolve("unpacked-" + withOpencv));
        Scripts.runCommand(tmp, Map.of(), List.of("tar", "-xJf", out.resolve("gpu-bundle.tar.xz").toString(),
                "-C", unpacked.toString())).expect(0);
        Set<String> names = new TreeSet<>();
        try (ZipFile zip = new ZipFile(unpacked.resolve("mobilevit-gpu.jar").toFile())) {
            zip.stream().filter(e -> !e.isDirectory()).forEach(e -> names.add(e.getName()));
            assertEquals("META-INF/MANIFEST.MF", zip.entries().nextElement().getName(), "manifest first");
            assertEquals("ai/djl/pytorch/jni/LibUtils.class",
                    new String(zip.getInputStream(zip.getEntry("ai/djl/pytorch/jni/LibUtils.class")).readAllBytes(),
                            StandardCharsets.UTF_8), "contents kept");
        }
        return names;
    }

    @Test
    void jarLosesCpuNativesPrebuiltJniOpencvAndForeignPlatforms() throws IOException {
        Set<String> expected = new TreeSet<>(KEPT);
        assertEquals(expected, packedJarEntries(false));
    }

    @Test
    void withOpencvKeepsOnlyItsLinuxNative() throws IOException {
        Set<String> expected = new TreeSet<>(KEPT);
        expected.add(OPENCV_LINUX);
        assertEquals(expected, packedJarEntries(true));
    }
}
