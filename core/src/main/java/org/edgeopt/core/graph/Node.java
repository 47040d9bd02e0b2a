package org.edgeopt.core.graph;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One operator application: op type, domain, named inputs and outputs, attributes.
 *
 * <p>An empty string in {@code inputs} marks an omitted optional input, as in ONNX.
 *
 * @param name the node name, unique within the graph
 * @param opType the operator, e.g. {@code Conv}
 * @param domain the operator domain, empty for the default ONNX domain
 * @param inputs the names of the input values
 * @param outputs the names of the output values
 * @param attributes the attributes by name, in insertion order
 */
public record Node(
    String name,
    String opType,
    String domain,
    List<String> inputs,
    List<String> outputs,
    Map<String, Attribute> attributes) {

  public Node {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(opType, "opType");
    domain = domain == null ? "" : domain;
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
  }

  /** Returns a node in the default domain with the given attributes. */
  public static Node of(
      String name, String opType, List<String> inputs, List<String> outputs, Attribute... attrs) {
    Map<String, Attribute> m = new LinkedHashMap<>();
    for (Attribute a : attrs) {
      m.put(a.name(), a);
    }
    return new Node(name, opType, "", inputs, outputs, m);
  }

  /** Returns the attribute with the given name, if present. */
  public Optional<Attribute> attribute(String attrName) {
    return Optional.ofNullable(attributes.get(attrName));
  }

  /** Returns an int attribute, or {@code fallback} when absent. */
  public long intAttr(String attrName, long fallback) {
    Attribute a = attributes.get(attrName);
    return a == null ? fallback : a.asLong();
  }

  /** Returns a float attribute, or {@code fallback} when absent. */
  public float floatAttr(String attrName, float fallback) {
    Attribute a = attributes.get(attrName);
    return a == null ? fallback : a.asFloat();
  }

  /** Returns an ints attribute, or {@code fallback} when absent. */
  public long[] intsAttr(String attrName, long[] fallback) {
    Attribute a = attributes.get(attrName);
    return a == null ? fallback : a.asLongs();
  }

  /** Returns a string attribute, or {@code fallback} when absent. */
  public String stringAttr(String attrName, String fallback) {
    Attribute a = attributes.get(attrName);
    return a == null ? fallback : a.asString();
  }

  /** Returns the input at {@code i}, or an empty string when omitted or out of range. */
  public String input(int i) {
    return i < inputs.size() ? inputs.get(i) : "";
  }

  /** Returns the first output. */
  public String output() {
    return outputs.get(0);
  }

  /** Returns a copy of this node with other inputs. */
  public Node withInputs(List<String> newInputs) {
    return new Node(name, opType, domain, newInputs, outputs, attributes);
  }

  /** Returns a copy of this node with other outputs. */
  public Node withOutputs(List<String> newOutputs) {
    return new Node(name, opType, domain, inputs, newOutputs, attributes);
  }

  /** Returns a copy of this node with one attribute added or replaced. */
  public Node withAttribute(Attribute a) {
    Map<String, Attribute> m = new LinkedHashMap<>(attributes);
    m.put(a.name(), a);
    return new Node(name, opType, domain, inputs, outputs, m);
  }

  /** Returns a short description for error messages: {@code Conv 'conv1'}. */
  public String describe() {
    return opType + " '" + name + "'";
  }
}
