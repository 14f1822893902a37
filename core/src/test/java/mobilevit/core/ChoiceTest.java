package mobilevit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.List;

class ChoiceTest {

    /** A choice with an id of its own and a second name, as the project's enums have. */
    private enum Shape implements Choice {
        SQUARE, WIDE_BOX;

        @Override
        public String id() {
            return this == WIDE_BOX ? "wide-box" : Choice.super.id();
        }

        @Override
        public List<String> names() {
            return this == SQUARE ? List.of(id(), "quadrat") : Choice.super.names();
        }

        static Shape parse(String text) {
            return Choice.parse(Shape.class, text,
                    t -> "shape must be " + Choice.alternatives(Shape.class) + ", got '" + t + "'");
        }
    }

    private enum Single implements Choice {
        ONLY
    }

    @Test
    void anyNameInAnyCaseWithBlanksAroundSelectsTheConstant() {
        assertEquals(Shape.SQUARE, Shape.parse("square"));
        assertEquals(Shape.SQUARE, Shape.parse(" Quadrat "));
        assertEquals(Shape.WIDE_BOX, Shape.parse("WIDE-BOX"));
        assertEquals("square", Shape.SQUARE.id());
    }

    @Test
    void anythingElseIsRefusedWithTheCallersWordsAndTheTextAsGiven() {
        assertEquals("shape must be square or wide-box, got 'wide_box'",
                assertThrows(IllegalArgumentException.class, () -> Shape.parse("wide_box")).getMessage());
        assertEquals("shape must be square or wide-box, got ' Circle'",
                assertThrows(IllegalArgumentException.class, () -> Shape.parse(" Circle")).getMessage());
        assertEquals("shape must be square or wide-box, got 'null'",
                assertThrows(IllegalArgumentException.class, () -> Shape.parse(null)).getMessage());
    }

    @Test
    void alternativesReadAsASentence() {
        assertEquals("only", Choice.alternatives(Single.class));
        assertEquals("square or wide-box", Choice.alternatives(Shape.class));
    }
}
