package org.edgeopt.planners.cascade;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Every distinct threshold of one confidence signal, from "escalate everything" to "escalate
 * nothing", with the cascade's accuracy, escalation rate and expected latency at each.
 *
 * @param signal the confidence signal
 * @param points the points, threshold descending (escalation rate ascending)
 */
public record CascadeCurve(ConfidenceSignal signal, List<CascadePoint> points) {

  public CascadeCurve {
    points = List.copyOf(points);
  }

  /**
   * Sweeps {@code signal} over {@code s}: samples sorted by confidence, surest first, are handed to
   * the small model one group of equal confidence at a time.
   */
  public static CascadeCurve sweep(
      CascadeSamples s,
      ConfidenceSignal signal,
      double smallSeconds,
      double largeSeconds,
      double level) {
    int n = s.size();
    double[] score = s.scores()[signal.ordinal()];
    Integer[] order = new Integer[n];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -score[i]));
    int[] perClass = new int[s.classes()];
    int[] classCorrect = new int[s.classes()];
    int correct = 0;
    for (int i = 0; i < n; i++) {
      perClass[s.labels()[i]]++;
      if (s.large()[i] == s.labels()[i]) {
        correct++;
        classCorrect[s.labels()[i]]++;
      }
    }
    List<CascadePoint> points = new ArrayList<>();
    points.add(
        point(
            Double.POSITIVE_INFINITY,
            correct,
            n,
            n,
            classCorrect,
            perClass,
            smallSeconds,
            largeSeconds,
            level));
    int k = 0;
    while (k < n) {
      double t = score[order[k]];
      // Accept the whole group of samples with this confidence: a threshold cannot split a tie.
      while (k < n && score[order[k]] == t) {
        int i = order[k];
        int y = s.labels()[i];
        int delta = (s.small()[i] == y ? 1 : 0) - (s.large()[i] == y ? 1 : 0);
        correct += delta;
        classCorrect[y] += delta;
        k++;
      }
      points.add(
          point(t, correct, n, n - k, classCorrect, perClass, smallSeconds, largeSeconds, level));
    }
    return new CascadeCurve(signal, points);
  }

  private static CascadePoint point(
      double t,
      int correct,
      int n,
      int escalated,
      int[] classCorrect,
      int[] perClass,
      double smallSeconds,
      double largeSeconds,
      double level) {
    List<Interval> recall = new ArrayList<>();
    for (int c = 0; c < perClass.length; c++) {
      recall.add(Interval.of(classCorrect[c], perClass[c], level));
    }
    double expected = smallSeconds + largeSeconds * escalated / (double) n;
    return new CascadePoint(
        t, Interval.of(correct, n, level), Interval.of(escalated, n, level), expected, recall);
  }

  /**
   * Returns the area under accuracy against escalation rate (trapezoids): the larger, the better
   * the signal sorts the small model's mistakes to the front of the escalation queue.
   */
  public double area() {
    double a = 0;
    for (int i = 1; i < points.size(); i++) {
      CascadePoint p = points.get(i - 1);
      CascadePoint q = points.get(i);
      a +=
          (p.escalation().estimate() - q.escalation().estimate())
              * (p.accuracy().estimate() + q.accuracy().estimate())
              / 2;
    }
    return a;
  }
}
