package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The exact sum is the true sum rounded once, in any order and any split. */
class ExactSumTest {

  /** Values over many magnitudes and both signs, subnormals and huge ones included. */
  private static List<Double> values(long seed, int n) {
    Random r = new Random(seed);
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double x = r.nextGaussian() * Math.pow(2, r.nextInt(120) - 60);
      v.add(
          i % 97 == 0
              ? r.nextGaussian() * 1e290
              : i % 89 == 0 ? Double.MIN_VALUE * r.nextInt(1000) : x);
    }
    v.add(1e308);
    v.add(-1e308);
    return v;
  }

  private static double sum(List<Double> v) {
    ExactSum s = new ExactSum();
    v.forEach(s::add);
    return s.value();
  }

  @Test
  void equalsTheTrueSumRoundedOnce() {
    List<Double> v = values(1, 5000);
    BigDecimal exact = BigDecimal.ZERO;
    double naive = 0;
    for (double x : v) {
      exact = exact.add(new BigDecimal(x));
      naive += x;
    }
    assertEquals(exact.doubleValue(), sum(v));
    // The plain running sum is wrong here (cancellation of the huge terms): the test can fail.
    assertNotEquals(exact.doubleValue(), naive);
  }

  @Test
  void doesNotDependOnTheOrderOrTheSplit() throws Exception {
    List<Double> v = values(2, 4000);
    double forward = sum(v);
    List<Double> shuffled = new ArrayList<>(v);
    Collections.shuffle(shuffled, new Random(3));
    assertEquals(Double.doubleToRawLongBits(forward), Double.doubleToRawLongBits(sum(shuffled)));
    ExactSum a = new ExactSum();
    ExactSum b = new ExactSum();
    for (int i = 0; i < shuffled.size(); i++) {
      (i % 3 == 0 ? a : b).add(shuffled.get(i));
    }
    // Through the binary form, as between an executor and the driver.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    b.write(new DataOutputStream(bytes));
    a.add(ExactSum.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
    assertEquals(forward, a.value());
  }

  @Test
  void infinitiesAndNanFollowIeeeAddition() {
    assertEquals(Double.POSITIVE_INFINITY, sum(List.of(1.0, Double.POSITIVE_INFINITY, -3.0)));
    assertEquals(Double.NEGATIVE_INFINITY, sum(List.of(Double.NEGATIVE_INFINITY, 5.0)));
    assertEquals(Double.NaN, sum(List.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)));
    assertEquals(Double.NaN, sum(List.of(1.0, Double.NaN)));
    assertEquals(0.0, sum(List.of()));
    assertEquals(0.0, sum(List.of(0.1, -0.1)));
    // Past the largest double only when the exact sum is.
    assertEquals(
        Double.MAX_VALUE, sum(List.of(Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE)));
    assertEquals(Double.POSITIVE_INFINITY, sum(List.of(Double.MAX_VALUE, Double.MAX_VALUE)));
  }
}
