package mobilevit.trainer.checkpoint;


import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

class ClassNamesTest {

    @Test
    void theFirstLabelWhereTheListsPartIsNamed() {
        assertEquals(Optional.empty(), ClassNames.firstDifference(List.of("a", "b"), "x", List.of("a", "b"), "y"));
        assertEquals(Optional.of("class 1 is 'b' in x and 'c' in y"),
                ClassNames.firstDifference(List.of("a", "b", "d"), "x", List.of("a", "c", "d"), "y"));
        assertEquals(Optional.of("class 2 is absent in x and 'c' in y"),
                ClassNames.firstDifference(List.of("a", "b"), "x", List.of("a", "b", "c"), "y"));
        assertEquals(Optional.of("class 1 is 'b' in x and absent in y"),
                ClassNames.firstDifference(List.of("a", "b"), "x", List.of("a"), "y"));
    }
}
