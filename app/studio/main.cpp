// trainplan-studio [MODEL | PROJECT.tplan]: the desktop studio. MODEL is a .onnx / .tpnet.json
// file or zoo:NAME; without one the studio opens zoo:mcunet.
#include <QApplication>
#include <QCommandLineParser>

#include "app/studio/main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("TrainPlan Studio"));
    QApplication::setOrganizationName(QStringLiteral("TrainPlan"));
    QApplication::setApplicationVersion(QStringLiteral(TP_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Plan on-device training of neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("model"),
        QStringLiteral("A project (.tplan) or a network to open: a .onnx or .tpnet.json file, "
                       "or zoo:NAME (default zoo:mcunet)."),
        QStringLiteral("[MODEL|PROJECT]"));
    parser.process(app);
    const QStringList args = parser.positionalArguments();

    tp::MainWindow window;
    window.show();
    const QString what = args.value(0, QStringLiteral("zoo:mcunet"));
    if (what.endsWith(QLatin1String(".tplan")))
        window.openProject(what);
    else
        window.openModel(what);
    return app.exec();
}
