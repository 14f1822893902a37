package mobilevit.launch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static mobilevit.launch.Scripts.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * launch/build-jni.sh without building anything: its argument and input errors, the version and
 * flavor it reads off a libtorch folder, the install path in DJL's cache layout, its offline error
 * and its patch step, on fake libtorch folders and on a small source tree written here that has
 * only the lines the patch step edits.
 */
class BuildJniScriptTest {

    private static final String SCRIPT = "build-jni.sh";

    @TempDir
    Path tmp;

    /** A libtorch folder with the files the script checks for, and the given extras. */
    private Path fakeLibtorch(String name, Map<String, String> files) throws IOException {
        Path dir = tmp.resolve(name);
        Scripts.write(dir.resolve("include/torch/script.h"), "");
        Scripts.write(dir.resolve("lib/libtorch.so"), "");
        Scripts.write(dir.resolve("share/cmake/Torch/TorchConfig.cmake"), "");
        for (Map.Entry<String, String> e : files.entrySet()) {
            Scripts.write(dir.resolve(e.getKey()), e.getValue());
        }
        return dir;
    }

    private Path pipTorch(String version, String cuda, boolean cudaLibs) throws IOException {
        Map<String, String> files = new HashMap<>();
        files.put("version.py", "from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda']\n"
                + "__version__ = '" + version + "'\ndebug = False\ncuda: Optional[str] = " + cuda + "\n"
                + "git_version = '0123abcd'\nhip: Optional[str] = None\n");
        if (cudaLibs) {
            files.put("lib/libtorch_cuda.so", "");
        }
        return fakeLibtorch("torch-" + version, files);
    }

    /** Environment with no cache variables set and HOME in the temp folder. */
    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", tmp.resolve("home").toString());
        env.put("DJL_CACHE_DIR", null);
        env.put("ENGINE_CACHE_DIR", null);
        // never the network: a clone, if one is tried, fails at once
        env.put("DJL_GIT_URL", "file://" + tmp.resolve("no-such-djl-repo"));
        return env;
    }

    private Scripts.Result run(Map<String, String> env, String... args) {
        return Scripts.run(tmp, env, SCRIPT, args);
    }

    @Test
    void helpPrintsUsageAndExitCodes() {
        Scripts.Result r = run(env(), "--help").expect(0);
        assertContains(r.out(), "Usage: launch/build-jni.sh LIBTORCH_DIR");
        assertContains(r.out(), "Exit codes:");
        assertContains(r.out(), "0.36.0-libdjl_torch.so");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no arguments||LIBTORCH_DIR is required",
        "unknown option|--frobnicate|unknown option: --frobnicate",
        "option without value|/x --cache|--cache needs a value",
        "two directories|/a /b|unexpected argument: /b",
        "bad --jobs|/a --jobs 0|--jobs must be a positive integer",
        "patch-only without work|/a --patch-only|--patch-only needs --work DIR",
        "cmake-arg without value|/a --cmake-arg|--cmake-arg needs a value",
    })
    void badArgumentsExitTwoWithOneLine(String name, String args, String message) {
        String[] argv = args == null ? new String[0] : args.split(" ");
        Scripts.Result r = run(env(), argv).expect(2);
        assertContains(r.oneErrorLine(), message);
    }

    @Test
    void missingLibtorchDir() {
        Path missing = tmp.resolve("nowhere/torch");
        Scripts.Result r = run(env(), missing.toString()).expect(2);
        assertEquals("error: LIBTORCH_DIR " + missing + " is not a directory", r.oneErrorLine());
    }

    @Test
    void wrongLibtorchDirNamesTheMissingPiece() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertContains(run(env(), empty.toString()).expect(2).oneErrorLine(), "has no include/torch/script.h");

        Path noLib = tmp.resolve("nolib");
        Scripts.write(noLib.resolve("include/torch/script.h"), "");
        assertContains(run(env(), noLib.toString()).expect(2).oneErrorLine(), "has no lib/libtorch.so");

        Path noVersion = fakeLibtorch("noversion", Map.of());
        assertContains(run(env(), noVersion.toString(), "--dry-run").expect(2).oneErrorLine(),
                "cannot tell the libtorch version");

        Path oddVersion = fakeLibtorch("odd", Map.of("build-version", "nightly\n"));
        assertContains(run(env(), oddVersion.toString(), "--dry-run").expect(2).oneErrorLine(),
                "unexpected libtorch version 'nightly'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // pip wheels: version.py; CUDA from its cuda field
        "pip cu130|version.py|2.11.0+cu130|'13.0'|true|2.11.0|cu130",
        "pip default wheel|version.py|2.8.0|'12.8'|true|2.8.0|cu128",
        "pip cpu|version.py|2.9.1+cpu|None|false|2.9.1|cpu",
        // unpacked libtorch zip: build-version with the CUDA flavor as local version
        "libtorch zip cu128|build-version|2.7.1+cu128||true|2.7.1|cu128",
        "libtorch zip cpu|build-version|2.10.0+cpu||false|2.10.0|cpu",
    })
    void detectsVersionAndFlavorAndComputesTheInstallPath(String name, String versionFile, String version,
            String cuda, boolean cudaLibs, String expectVersion, String expectFlavor) throws IOException {
        Path torch;
        if ("version.py".equals(versionFile)) {
            torch = pipTorch(version, cuda, cudaLibs);
        } else {
            torch = fakeLibtorch("zip-" + version, cudaLibs
                    ? Map.of("build-version", version + "\n", "lib/libtorch_cuda.so", "")
                    : Map.of("build-version", version + "\n"));
        }
        Path cache = tmp.resolve("cache");
        Scripts.Result r = run(env(), torch.toString(), "--dry-run", "--cache", cache.toString()).expect(0);
        String so = cache + "/pytorch/" + expectVersion + "-" + expectFlavor + "-" + Scripts.classifier()
                + "/0.36.0-libdjl_torch.so";
        assertContains(r.out(), "# libdjl_torch.so: " + so + "\n");
        assertEquals("export PYTORCH_LIBRARY_PATH=" + torch + "/lib PYTORCH_VERSION=" + expectVersion
                + " PYTORCH_FLAVOR=" + expectFlavor + " DJL_CACHE_DIR=" + cache + " ENGINE_CACHE_DIR=" + cache,
                r.lastOutLine());
        assertFalse(Files.exists(cache), "a dry run creates nothing");
    }

    @Test
    void cudaVersionFromAVersionedRuntimeAndErrorWhenUnknown() throws IOException {
        Path torch = fakeLibtorch("cudart", Map.of("build-version", "2.9.0\n", "lib/libtorch_cuda.so", "",
                "lib/libcudart-a1b2c3.so.12.4.127", ""));
        assertContains(run(env(), torch.toString(), "--dry-run").expect(0).out(), "PYTORCH_FLAVOR=cu124 ");

        Path unknown = fakeLibtorch("unknown-cuda", Map.of("build-version", "2.9.0\n", "lib/libtorch_cuda.so", ""));
        assertContains(run(env(), unknown.toString(), "--dry-run").expect(2).oneErrorLine(),
                "is a CUDA build but its CUDA version is not recorded");
    }

    @Test
    void cacheFolderFollowsDjl() throws IOException {
        Path torch = pipTorch("2.11.0+cu130", "'13.0'", true);
        String tail = "/pytorch/2.11.0-cu130-" + Scripts.classifier() + "/0.36.0-libdjl_torch.so";

        Map<String, String> env = env();
        assertContains(run(env, torch.toString(), "--dry-run").expect(0).out(),
                tmp.resolve("home/.djl.ai") + tail);
        env.put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
        assertContains(run(env, torch.toString(), "--dry-run").expect(0).out(), tmp.resolve("djl") + tail);
        // DJL's Utils.getEngineCacheDir prefers ENGINE_CACHE_DIR
        env.put("ENGINE_CACHE_DIR", tmp.resolve("engines").toString());
        assertContains(run(env, torch.toString(), "--dry-run").expect(0).out(), tmp.resolve("engines") + tail);
        assertContains(run(env, torch.toString(), "--dry-run", "--cache", "rel").expect(0).out(),
                tmp.resolve("rel") + tail);
    }

    @Test
    void warnsAboutAJniLibraryInsideLibtorch() throws IOException {
        Path torch = pipTorch("2.11.0+cu130", "'13.0'", true);
        Scripts.write(torch.resolve("lib/libdjl_torch.so"), "");
        Scripts.Result r = run(env(), torch.toString(), "--dry-run").expect(0);
        assertContains(r.err(), "warning: " + torch.resolve("lib/libdjl_torch.so") + " exists");
    }

    @Test
    void missingJniHeader() throws IOException {
        Path torch = pipTorch("2.11.0+cpu", "None", false);
        Path noJdk = Files.createDirectories(tmp.resolve("not-a-jdk"));
        Map<String, String> env = env();
        env.put("JAVA_HOME", noJdk.toString());
        assertEquals("error: no jni.h in JAVA_HOME=" + noJdk + " (include/jni.h); give --jni-include DIR",
                run(env, torch.toString()).expect(2).oneErrorLine());
        assertEquals("error: no jni.h in --jni-include " + noJdk,
                run(env(), torch.toString(), "--jni-include", noJdk.toString()).expect(2).oneErrorLine());
    }

    private Path jniInclude() throws IOException {
        Path dir = tmp.resolve("jni-include");
        Scripts.write(dir.resolve("jni.h"), "/* test */\n");
        Scripts.write(dir.resolve("linux/jni_md.h"), "/* test */\n");
        return dir;
    }

    @Test
    void offlineWithoutSourceSaysToUseSource() throws IOException {
        Path torch = pipTorch("2.11.0+cpu", "None", false);
        Scripts.Result r = run(env(), torch.toString(), "--jni-include", jniInclude().toString()).expect(3);
        assertContains(r.oneErrorLine(), "could not clone DJL v0.36.0 from file://");
        assertContains(r.oneErrorLine(), "give a DJL checkout with --source DIR");
    }

    @Test
    void badSourceFolders() throws IOException {
        Path torch = pipTorch("2.11.0+cpu", "None", false);
        String jni = jniInclude().toString();
        Path notDjl = Files.createDirectories(tmp.resolve("not-djl"));
        assertContains(run(env(), torch.toString(), "--jni-include", jni, "--source", notDjl.toString())
                .expect(2).oneErrorLine(), "is neither a DJL checkout nor its engines/pytorch/pytorch-native folder");

        Path checkout = syntheticDjl("no-utils", false, false);
        assertContains(run(env(), torch.toString(), "--jni-include", jni, "--source", checkout.toString())
                .expect(2).oneErrorLine(), "djl/utils.h is missing");
    }

    // --- the patch step on a synthetic tree ---------------------------------------------------------------

    private static final String NATIVE = "engines/pytorch/pytorch-native";
    private static final String SYSTEM_CC = NATIVE + "/src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_system.cc";
    private static final String CMAKE_SYNTHETIC = """
            cmake_minimum_required(VERSION 3.10)
            project(synthetic)
            add_library(djl_torch SHARED src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_system.cc)
            set_property(TARGET djl_torch PROPERTY CXX_STANDARD 14)
            """;
    private static final String SYSTEM_CC_SYNTHETIC = """
            #include <string>
            #include <sstream>

            void save(const std::string& path, const std::string& text) {
              std::ofstream file(path);
              file << text;
            }
            """;

    /** A tree laid out like a DJL checkout with only the lines the patch step edits. */
    private Path syntheticDjl(String name, boolean withUtils, boolean hasFstream) throws IOException {
        Path root = tmp.resolve(name);
        Scripts.write(root.resolve(NATIVE + "/CMakeLists.txt"), CMAKE_SYNTHETIC);
        Scripts.write(root.resolve(SYSTEM_CC), hasFstream
                ? SYSTEM_CC_SYNTHETIC.replace("#include <sstream>", "#include <fstream>\n#include <sstream>")
                : SYSTEM_CC_SYNTHETIC);
        if (withUtils) {
            Scripts.write(root.resolve("api/src/main/native/djl/utils.h"), "#pragma once\n");
        }
        return root;
    }

    private static long count(String text, String line) {
        return text.lines().filter(line::equals).count();
    }

    @ParameterizedTest(name = "libtorch {0} -> C++{1}")
    @CsvSource({"2.11.0+cu130, 17", "2.8.0+cu128, 17", "2.12.0+cu130, 20"})
    void patchStepEditsTheCopyOnly(String version, String std) throws IOException {
        Path torch = pipTorch(version, "'13.0'", true);
        Path checkout = syntheticDjl("djl", true, false);
        Path work = tmp.resolve("work");
        Scripts.Result r = run(env(), torch.toString(), "--patch-only", "--work", work.toString(),
                "--source", checkout.toString()).expect(0);
        Path patched = work.resolve("djl/" + NATIVE);
        assertEquals(patched.toString(), r.lastOutLine());

        String cmake = Files.readString(patched.resolve("CMakeLists.txt"));
        assertEquals(CMAKE_SYNTHETIC.replace("CXX_STANDARD 14", "CXX_STANDARD " + std), cmake);
        String cc = Files.readString(work.resolve("djl/" + SYSTEM_CC));
        assertEquals(1, count(cc, "#include <fstream>"));
        assertTrue(cc.indexOf("#include <fstream>") < cc.indexOf("#include <sstream>"));
        assertEquals(SYSTEM_CC_SYNTHETIC, cc.replace("#include <fstream>\n", ""), "nothing else changes");
        assertTrue(Files.isRegularFile(work.resolve("djl/api/src/main/native/djl/utils.h")));

        // the given source is untouched
        assertEquals(CMAKE_SYNTHETIC, Files.readString(checkout.resolve(NATIVE + "/CMakeLists.txt")));
        assertEquals(SYSTEM_CC_SYNTHETIC, Files.readString(checkout.resolve(SYSTEM_CC)));
    }

    @Test
    void patchStepAcceptsThePytorchNativeFolderAndAnExistingInclude() throws IOException {
        Path torch = pipTorch("2.11.0+cu130", "'13.0'", true);
        Path checkout = syntheticDjl("djl-fstream", true, true);
        Path work = tmp.resolve("work2");
        Scripts.Result r = run(env(), torch.toString(), "--patch-only", "--work", work.toString(),
                "--source", checkout.resolve(NATIVE).toString()).expect(0);
        assertContains(r.err(), "<fstream> already included");
        assertEquals(1, count(Files.readString(work.resolve("djl/" + SYSTEM_CC)), "#include <fstream>"));
    }

    @Test
    void patchStepThatDoesNotApplyExitsFour() throws IOException {
        Path torch = pipTorch("2.11.0+cu130", "'13.0'", true);
        Path checkout = syntheticDjl("djl-other", true, false);
        Scripts.write(checkout.resolve(NATIVE + "/CMakeLists.txt"), "project(other)\n");
        Scripts.Result r = run(env(), torch.toString(), "--patch-only", "--work", tmp.resolve("w3").toString(),
                "--source", checkout.toString()).expect(4);
        assertContains(r.oneErrorLine(), "patch does not apply: no 'set_property(TARGET djl_torch PROPERTY CXX_STANDARD n)'");

        Path noSstream = syntheticDjl("djl-nosstream", true, false);
        Scripts.write(noSstream.resolve(SYSTEM_CC), "#include <string>\n");
        r = run(env(), torch.toString(), "--patch-only", "--work", tmp.resolve("w4").toString(),
                "--source", noSstream.toString()).expect(4);
        assertContains(r.oneErrorLine(), "no '#include <sstream>'");
    }
}
